import { describe, expect, it } from "@effect/vitest"
import {
  booleanWord,
  boundedInt,
  commaList,
  hasFileSuffix,
  parsePythonInt,
  pythonRepr
} from "../../../src/adapters/config/Parse.js"

describe("parsePythonInt (Python int() syntax)", () => {
  it.each([
    ["42", 42n], [" 42 ", 42n], ["+5", 5n], ["-7", -7n], ["1_000", 1000n], ["0", 0n], ["007", 7n],
    ["\t12\n", 12n], ["\u0661\u0662", 12n], ["\uff13", 3n], ["\u{1D7D9}", 1n], ["99999999999999999999", 99999999999999999999n]
  ])("accepts %j", (raw, value) => {
    expect(parsePythonInt(raw)).toBe(value)
  })

  it.each(["1e3", "0x10", "12.0", "1__0", "_1", "1_", "+-1", "--5", "", " ", "1 2", "abc", "12a", "+", "٣.٠"])(
    "rejects %j",
    (raw) => {
      expect(parsePythonInt(raw)).toBeUndefined()
    }
  )
})

describe("boundedInt", () => {
  const spec = { default: 4, min: 1, max: 16, outOfRange: "clamp" as const }

  it("uses the default silently when unset or blank", () => {
    expect(boundedInt("K", undefined, spec)).toEqual({ value: 4 })
    expect(boundedInt("K", "   ", spec)).toEqual({ value: 4 })
  })

  it("warns with the reference's text on a non-integer", () => {
    expect(boundedInt("K", "abc", spec)).toEqual({
      value: 4,
      warning: "Connector env K='abc' is not a valid integer; using default 4."
    })
  })

  it("clamps below and above with a warning, and keeps the edges", () => {
    expect(boundedInt("K", "0", spec)).toEqual({ value: 1, warning: "Connector env K=0 is below minimum 1; clamped to 1." })
    expect(boundedInt("K", "17", spec)).toEqual({ value: 16, warning: "Connector env K=17 is above maximum 16; clamped to 16." })
    expect(boundedInt("K", "1", spec)).toEqual({ value: 1 })
    expect(boundedInt("K", "16", spec)).toEqual({ value: 16 })
  })

  it("falls back to the default for out-of-range ports", () => {
    const port = { default: 8099, min: 1, max: 65535, outOfRange: "default" as const }
    expect(boundedInt("P", "70000", port)).toEqual({
      value: 8099,
      warning: "Connector env P=70000 is outside supported range 1..65535; using default 8099."
    })
    expect(boundedInt("P", "0", port).value).toBe(8099)
    expect(boundedInt("P", "65535", port)).toEqual({ value: 65535 })
    expect(boundedInt("P", "1", port)).toEqual({ value: 1 })
  })
})

describe("small parsers", () => {
  it("splits comma lists, trimming and dropping empty items", () => {
    expect(commaList("u1, u2,,  ,u3 ")).toEqual(["u1", "u2", "u3"])
    expect(commaList(undefined)).toEqual([])
    expect(commaList(" , ")).toEqual([])
  })

  it("reads boolean words only", () => {
    expect(["1", "TRUE", " yes ", "On"].map(booleanWord)).toEqual([true, true, true, true])
    expect(["0", "false", "NO", "off"].map(booleanWord)).toEqual([false, false, false, false])
    expect(booleanWord("ture")).toBeUndefined()
  })

  it("detects a file suffix as Python's PurePath.suffix does", () => {
    expect(hasFileSuffix("connector_state.json")).toBe(true)
    expect(hasFileSuffix("/var/lib/oc/state.json")).toBe(true)
    expect(hasFileSuffix("/var/lib/oc")).toBe(false)
    expect(hasFileSuffix(".hidden")).toBe(false)
    expect(hasFileSuffix("name.")).toBe(false)
    expect(hasFileSuffix("dir.d/")).toBe(true)
  })

  it("renders Python reprs", () => {
    expect(pythonRepr("abc")).toBe("'abc'")
    expect(pythonRepr("it's")).toBe('"it\'s"')
    expect(pythonRepr("a\nb")).toBe("'a\\nb'")
  })
})
