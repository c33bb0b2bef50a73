import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { canonicalJson, compareCodePoints, pythonJsonString } from "../../../src/domain/callbacks/CanonicalJson.js"

const ok = (value: unknown) => Either.getOrThrow(canonicalJson(value))
const refusal = (value: unknown) => Either.match(canonicalJson(value), { onLeft: (e) => e.reason, onRight: () => "accepted" })

/** Values the canonical form accepts: JSON without floats. */
const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "binary" }),
    fc.boolean(),
    fc.constant(null),
    fc.maxSafeInteger(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: "binary" }), tie("value"), { maxKeys: 4 })
  )
})).value

describe("canonicalJson", () => {
  it("matches the reference for the V4 and V5 payloads (§13)", () => {
    expect(ok({ value: 1, button: "go" })).toBe("{\"button\":\"go\",\"value\":1}")
    expect(ok({
      workspace_id: "tenant-1", message_id: "om_card_1", label: "Approve apr_1", command: "/approve apr_1",
      channel_id: "oc_dm_1", approval_id: "apr_1", account_id: "acct-default"
    })).toBe(
      "{\"account_id\":\"acct-default\",\"approval_id\":\"apr_1\",\"channel_id\":\"oc_dm_1\",\"command\":\"/approve apr_1\"," +
        "\"label\":\"Approve apr_1\",\"message_id\":\"om_card_1\",\"workspace_id\":\"tenant-1\"}"
    )
  })

  it("escapes non-ASCII like Python's ensure_ascii (V5 edge case without the float)", () => {
    expect(ok({ text: "héllo ✓", z: null, b: true })).toBe("{\"b\":true,\"text\":\"h\\u00e9llo \\u2713\",\"z\":null}")
    expect(pythonJsonString("😀")).toBe("\"\\ud83d\\ude00\"")
    expect(pythonJsonString("a\"b\\c/d\n\r\t\b\f\u0001\u007f\u00a0")).toBe(
      "\"a\\\"b\\\\c/d\\n\\r\\t\\b\\f\\u0001\\u007f\\u00a0\""
    )
  })

  it("sorts keys by code point, not by UTF-16 unit", () => {
    expect(ok({ "\u{10000}": 1, "\uffff": 2 })).toBe("{\"\\uffff\":2,\"\\ud800\\udc00\":1}")
    expect(compareCodePoints("\uffff", "\u{10000}")).toBeLessThan(0)
    expect(ok({ b: [1, { d: false, c: "x" }], a: -0 })).toBe("{\"a\":0,\"b\":[1,{\"c\":\"x\",\"d\":false}]}")
  })

  it("refuses floats and every value the reference would render differently", () => {
    expect(refusal({ n: 1.5 })).toBe("float")
    expect(refusal([0.1])).toBe("float")
    expect(refusal({ n: 2 ** 53 })).toBe("unsafe-integer")
    expect(refusal({ n: Number.NaN })).toBe("unsupported-type")
    expect(refusal({ n: Infinity })).toBe("unsupported-type")
    expect(refusal({ n: undefined })).toBe("unsupported-type")
    expect(refusal({ n: 1n })).toBe("unsupported-type")
    expect(refusal({ d: new Date(0) })).toBe("unsupported-type")
    expect(refusal(new Map())).toBe("unsupported-type")
    expect(refusal(() => 1)).toBe("unsupported-type")
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(refusal(cyclic)).toBe("cycle")
    let deep: unknown = "leaf"
    for (let i = 0; i < 10_000; i++) deep = [deep]
    expect(refusal(deep)).toBe("too-deep")
    expect(Either.getLeft(canonicalJson({ a: [{ n: 0.5 }] })).pipe((o) => o._tag === "Some" && o.value.path)).toBe("$.a[0].n")
  })

  it("a shared (non-cyclic) sub-object is fine", () => {
    const shared = { k: 1 }
    expect(ok({ a: shared, b: shared })).toBe("{\"a\":{\"k\":1},\"b\":{\"k\":1}}")
  })

  it.prop("is ASCII-only, valid JSON and denotes the same value", [jsonish], ([value]) => {
    const text = ok(value)
    expect(/^[\x20-\x7e]*$/.test(text)).toBe(true)
    expect(JSON.parse(text)).toEqual(value)
  })

  it.prop("does not depend on key insertion order", [fc.dictionary(fc.string(), fc.integer())], ([dict]) => {
    const reversed = Object.fromEntries(Object.entries(dict).reverse())
    expect(ok(reversed)).toBe(ok(dict))
  })
})
