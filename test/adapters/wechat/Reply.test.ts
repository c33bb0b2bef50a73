import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { aesKeyOf, decryptMessage } from "../../../src/adapters/wechat/Crypto.js"
import { cdata, encryptedReplyXml, splitUtf8, textReplyXml } from "../../../src/adapters/wechat/Reply.js"
import { msgSignature } from "../../../src/adapters/wechat/Signature.js"
import { parseWeChatXml } from "../../../src/adapters/wechat/Xml.js"

const reply = (content: string) => textReplyXml({ toUser: "user1", fromUser: "bot1", content, createTime: 1700000000 })
const parsed = (xml: string) => Either.getOrThrow(parseWeChatXml(Buffer.from(xml, "utf8")))

// spec platforms-webhook-polling.md §6.8 and §11.3, with X2 fixed
describe("WeChat passive reply XML", () => {
  it("is one line with the reference's elements", () => {
    expect(reply("Hello!")).toBe(
      "<xml><ToUserName><![CDATA[user1]]></ToUserName><FromUserName><![CDATA[bot1]]></FromUserName>" +
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[Hello!]]></Content></xml>"
    )
  })

  it("does not entity-escape user-visible text (X2)", () => {
    expect(reply("A & B <script>")).toContain("<Content><![CDATA[A & B <script>]]></Content>")
    expect(parsed(reply("A & B <script>"))["Content"]).toBe("A & B <script>")
  })

  it("splits ]]> across CDATA sections so the reader gets it back verbatim", () => {
    expect(cdata("a]]>b")).toBe("<![CDATA[a]]]]><![CDATA[>b]]>")
    expect(parsed(reply("x ]]> y ]]>]]>"))["Content"]).toBe("x ]]> y ]]>]]>")
  })

  it("drops characters XML cannot carry", () => {
    expect(parsed(reply("a\u0000b\u0007c\uFFFEd\uD800e"))["Content"]).toBe("abcde")
  })

  it.prop("any text survives the round trip through the reply XML (after trimming, minus non-XML characters)", [
    fc.string({ unit: "grapheme", maxLength: 200 })
  ], ([text]) => {
    expect(parsed(reply(text))["Content"]).toBe(text.trim())
  })

  it("the encrypted envelope carries a MsgSignature over its Encrypt and decrypts to the reply", () => {
    const key = Either.getOrThrow(aesKeyOf("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"))
    const inner = reply("Hi ]]> there")
    const xml = encryptedReplyXml(inner, { token: "test_token", key, appId: "wx_test_app_id", timestamp: "1700000000", nonce: "n1" })
    const fields = parsed(xml)
    expect(fields["TimeStamp"]).toBe("1700000000")
    expect(fields["Nonce"]).toBe("n1")
    expect(fields["MsgSignature"]).toBe(msgSignature("test_token", "1700000000", "n1", fields["Encrypt"]!))
    const plain = decryptMessage("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx_test_app_id", fields["Encrypt"]!)
    expect(Either.getOrThrow(plain).toString("utf8")).toBe(inner)
  })
})

describe("splitting text to WeChat's 2048-byte limit", () => {
  it("keeps short text whole and cuts long text on line boundaries", () => {
    expect(splitUtf8("hello", 2048)).toEqual(["hello"])
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${"x".repeat(10)}`)
    const pieces = splitUtf8(lines.join("\n"), 2048)
    expect(pieces.length).toBeGreaterThan(1)
    for (const p of pieces) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(2048)
      expect(p.endsWith("x")).toBe(true) // every cut is at a line end
    }
    expect(pieces.join("\n")).toBe(lines.join("\n"))
  })

  it.prop("pieces fit, are never blank, never split a character, and keep every non-space character", [
    fc.string({ unit: fc.oneof(fc.constantFrom(" ", "\n", "é", "ࠀ", "😀"), fc.char()), maxLength: 3000 }),
    fc.integer({ min: 4, max: 64 })
  ], ([text, max]) => {
    const pieces = splitUtf8(text, max)
    for (const p of pieces) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(max)
      expect(p.trim()).not.toBe("")
      expect(Buffer.from(p, "utf8").toString("utf8")).toBe(p) // no lone surrogate
    }
    expect(pieces.join("").replace(/\s/g, "")).toBe(text.replace(/\s/g, ""))
  })
})
