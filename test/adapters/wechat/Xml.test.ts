import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { MAX_XML_BYTES, parseWeChatXml } from "../../../src/adapters/wechat/Xml.js"

const parse = (xml: string | Uint8Array) => parseWeChatXml(typeof xml === "string" ? Buffer.from(xml, "utf8") : xml)
const fields = (xml: string) => Either.getOrThrow(parse(xml))
const reason = (xml: string | Uint8Array) => {
  const r = parse(xml)
  return Either.isLeft(r) ? r.left.reason : "accepted"
}
const withFields = (n: number) => `<xml>${Array.from({ length: n }, (_, i) => `<f${i}>v</f${i}>`).join("")}</xml>`

// spec platforms-webhook-polling.md §6.6 and §11.3
describe("WeChat XML budgets", () => {
  it("parses a text message into a flat map of trimmed strings (numbers stay strings)", () => {
    const xml = `<xml>
      <ToUserName><![CDATA[gh_1]]></ToUserName>
      <FromUserName><![CDATA[user1]]></FromUserName>
      <CreateTime>0001700000000</CreateTime>
      <MsgType><![CDATA[text]]></MsgType>
      <Content><![CDATA[  /status  ]]></Content>
      <MsgId>1234567890123456</MsgId>
    </xml>`
    expect(fields(xml)).toEqual({
      ToUserName: "gh_1",
      FromUserName: "user1",
      CreateTime: "0001700000000",
      MsgType: "text",
      Content: "/status",
      MsgId: "1234567890123456"
    })
  })

  it("an empty document element gives {}", () => {
    expect(fields("<xml></xml>")).toEqual({})
  })

  it("refuses more than 64 KiB", () => {
    const pad = "a".repeat(MAX_XML_BYTES + 1 - "<xml><a></a></xml>".length)
    expect(reason(`<xml><a>${pad}</a></xml>`)).toBe("too-large")
  })

  it("accepts depth 3, refuses depth 4", () => {
    expect(fields("<xml><a><b>val</b></a></xml>")).toEqual({ a: "" })
    expect(reason("<xml><a><b><c>val</c></b></a></xml>")).toBe("too-deep")
    expect(reason(`<xml>${"<a>".repeat(5000)}${"</a>".repeat(5000)}</xml>`)).toBe("too-deep")
  })

  it("accepts 30 fields, refuses 31", () => {
    expect(Object.keys(fields(withFields(30)))).toHaveLength(30)
    expect(reason(withFields(31))).toBe("too-many-fields")
  })

  it("accepts a 10 000-character value, refuses 10 001", () => {
    expect(fields(`<xml><a>${"x".repeat(10_000)}</a></xml>`)["a"]).toHaveLength(10_000)
    expect(reason(`<xml><a>${"x".repeat(10_001)}</a></xml>`)).toBe("value-too-long")
  })

  it("refuses what is not one well-formed element", () => {
    for (const bad of ["not xml at all", "", "<xml><a>1</b></xml>", "<xml><a>", "<xml></xml><y/>", "<xml></xml>tail", "<xml><a>&bogus;</a></xml>"]) {
      expect(reason(bad), bad).toBe("malformed")
    }
    expect(reason(Buffer.from([0x3c, 0x78, 0x3e, 0xff, 0x3c, 0x2f, 0x78, 0x3e]))).toBe("invalid-utf8")
  })

  it("refuses a DTD or entity declaration in the document", () => {
    const r = parse(`<!DOCTYPE xml [<!ENTITY boom "boom">]><xml><Content>&boom;</Content></xml>`)
    expect(Either.isLeft(r) && r.left.reason).toBe("dtd-entity")
    expect(Either.isLeft(r) && r.left.message).toMatch(/DTD\/entity/)
    expect(reason(`<xml><!ENTITY x "y"><a>1</a></xml>`)).toBe("dtd-entity")
    expect(reason(`<?xml version="1.0"?><!doctype xml><xml/>`)).toBe("dtd-entity")
    // An attribute cannot hide a declaration from the scan.
    expect(reason(`<xml a="<![CDATA["><!DOCTYPE x>]]></xml>`)).toBe("malformed")
  })

  it("accepts user text inside CDATA that mentions <!ENTITY or <!DOCTYPE, verbatim (X7)", () => {
    const content = `<!DOCTYPE html> <!ENTITY x "y"> & <b> ]]`
    expect(fields(`<xml><Content><![CDATA[${content}]]></Content></xml>`)["Content"]).toBe(content)
  })

  it("joins CDATA sections split around ]]> and decodes the predefined entities outside CDATA", () => {
    expect(fields(`<xml><a><![CDATA[x ]]]]><![CDATA[> y]]></a></xml>`)["a"]).toBe("x ]]> y")
    expect(fields(`<xml><a>a &amp; b &lt;c&gt; &#65;&#x42;</a></xml>`)["a"]).toBe("a & b <c> AB")
    expect(fields(`<xml><a>&amp;amp;</a></xml>`)["a"]).toBe("&amp;")
  })

  it("ignores attributes, keeps the leading text of nested children, and the last of repeated tags", () => {
    expect(fields(`<xml><a x="1">v</a><b>lead<c>in</c>tail</b><d>1</d><d>2</d></xml>`)).toEqual({ a: "v", b: "lead", d: "2" })
  })

  it.prop("never throws: every input is fields or a typed rejection", [
    fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.string({ maxLength: 400 }).map((s) => Buffer.from(s, "utf8")),
      fc.array(fc.constantFrom("<xml>", "</xml>", "<a>", "</a>", "<![CDATA[", "]]>", "<!--", "-->", "<!ENTITY", "&amp;", "&", "<", ">", "x", " ", "\"", "<?", "?>", "<b/>", "__proto__"), { maxLength: 60 })
        .map((parts) => Buffer.from(parts.join(""), "utf8"))
    )
  ], ([bytes]) => {
    const result = parseWeChatXml(bytes)
    expect(Either.isEither(result)).toBe(true)
    if (Either.isRight(result)) for (const v of Object.values(result.right)) expect(typeof v).toBe("string")
  })
})
