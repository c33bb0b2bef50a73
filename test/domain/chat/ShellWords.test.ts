import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { quoteWord, shellWords } from "../../../src/domain/chat/ShellWords.js"

const words = (text: string, comments = false) => Either.getOrThrow(shellWords(text, { comments }))
const error = (text: string) => Either.match(shellWords(text, { comments: true }), { onLeft: (e) => e, onRight: () => "ok" })

describe("shellWords", () => {
  it("splits like the reference's shlex configuration (spec §3)", () => {
    expect(words("  a \t b\r\nc  ")).toEqual(["a", "b", "c"])
    expect(words("a\u00a0b\u3000c")).toEqual(["a\u00a0b\u3000c"])
    expect(words("a\"b c\"d")).toEqual(["ab cd"])
    expect(words("prompt=\"a cat\"")).toEqual(["prompt=a cat"])
    expect(words("\"a b\"c")).toEqual(["a bc"])
    expect(words("'x y'")).toEqual(["'x", "y'"])
    expect(words("She's here")).toEqual(["She's", "here"])
    expect(words("x\\ y a\\'b a\\\\b")).toEqual(["x y", "a'b", "a\\b"])
    expect(words("\"a\\b\" \"x\\\"y\" \"c\\\\d\"")).toEqual(["a\\b", "x\"y", "c\\d"])
    expect(words("\"\" a")).toEqual(["", "a"])
    expect(words("“a b”")).toEqual(["“a", "b”"])
    expect(words("a#b c")).toEqual(["a#b", "c"])
    expect(words("")).toEqual([])
  })

  it("with comments, # ends the line even mid-word (the firewall's variant)", () => {
    expect(words("/run a#b c", true)).toEqual(["/run", "a"])
    expect(words("/run a # note\n/status x", true)).toEqual(["/run", "a", "/status", "x"])
    expect(words("# only a comment", true)).toEqual([])
    expect(words("\"a#b\" c", true)).toEqual(["a#b", "c"])
    expect(words("\"\"#x", true)).toEqual([""])
  })

  it("reports the reference's error texts", () => {
    expect(error("/run \"oops")).toBe("No closing quotation")
    expect(error("/run oops\\")).toBe("No escaped character")
    expect(error("\"a\\")).toBe("No escaped character")
  })

  it.prop("quoteWord round-trips any word through both variants", [fc.string({ unit: "binary" })], ([w]) => {
    expect(words(quoteWord(w))).toEqual([w])
    expect(words(quoteWord(w), true)).toEqual([w])
  })

  it.prop("a quoted list of words reads back as the same list", [fc.array(fc.string(), { maxLength: 6 })], ([ws]) => {
    expect(words(ws.map(quoteWord).join(" "), true)).toEqual(ws)
  })
})
