import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { tokenise } from "../../../src/domain/command/Tokenise.js"

const ok = (text: string) => Either.getOrThrow(tokenise(text))

describe("tokenise (shlex POSIX, quotes = \" only)", () => {
  it.each([
    ["/run tpl a cat", ["/run", "tpl", "a", "cat"]],
    ["  a \t b\r\nc  ", ["a", "b", "c"]],
    ["a\u00a0b c\u3000d", ["a\u00a0b", "c\u3000d"]],
    ["a\u000bb\u000cc", ["a\u000bb\u000cc"]],
    ["a\"b c\"d", ["ab cd"]],
    ["prompt=\"a cat\"", ["prompt=a cat"]],
    ["\"a b\"c", ["a bc"]],
    ["'x y'", ["'x", "y'"]],
    ["She's wearing a tee", ["She's", "wearing", "a", "tee"]],
    ["x\\ y", ["x y"]],
    ["a\\'b", ["a'b"]],
    ["a\\\\b", ["a\\b"]],
    ["\"a\\b\"", ["a\\b"]],
    ["\"x\\\"y\"", ["x\"y"]],
    ["\"a\\\\b\"", ["a\\b"]],
    ["#tag # x", ["#tag", "#", "x"]],
    ["\"\"", [""]],
    ["a \"\" b", ["a", "", "b"]],
    ["a\"\"", ["a"]],
    ["\u201csmart quotes\u201d", ["\u201csmart", "quotes\u201d"]],
    ["", []],
    ["   ", []]
  ])("%j -> %j", (input, expected) => {
    expect(ok(input)).toEqual(expected)
  })

  it.each([
    ["/run \"oops", "no-closing-quotation"],
    ["\"", "no-closing-quotation"],
    ["a\\", "no-escaped-character"],
    ["\"abc\\", "no-escaped-character"]
  ])("%j fails with %s", (input, failure) => {
    expect(tokenise(input)).toEqual(Either.left(failure))
  })
})

/**
 * Independent oracle for "unbalanced": walk the text; a backslash consumes the next character
 * (inside or outside quotes) and fails at the end; a quote toggles; ending inside quotes fails.
 */
const unbalanced = (text: string): boolean => {
  const chars = Array.from(text)
  let inQuotes = false
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === "\\") {
      if (i === chars.length - 1) return true
      i++
    } else if (chars[i] === "\"") inQuotes = !inQuotes
  }
  return inQuotes
}

const shellish = fc.array(fc.constantFrom("a", "b", " ", "\t", "\n", "\"", "\\", "'", "#", "=", "\u00a0", "é", "😀"), {
  maxLength: 30
}).map((cs) => cs.join(""))

describe("tokenise properties", () => {
  it.prop("never throws and fails exactly on unbalanced input", [fc.oneof(shellish, fc.string(), fc.fullUnicodeString())], ([text]) => {
    const result = tokenise(text)
    expect(Either.isLeft(result)).toBe(unbalanced(text))
  })

  it.prop("plain words separated by separators come back unchanged", [
    fc.array(fc.stringMatching(/^[^ \t\r\n"\\]+$/), { minLength: 0, maxLength: 8 }),
    fc.constantFrom(" ", "\t", "  \n ")
  ], ([words, sep]) => {
    expect(ok(words.join(sep))).toEqual(words)
  })

  it.prop("any token survives being double-quoted with \" and \\ escaped", [fc.string()], ([token]) => {
    const quoted = `"${token.replace(/[\\"]/g, (c) => `\\${c}`)}"`
    expect(ok(quoted)).toEqual([token])
  })
})
