import { describe, expect, it } from "@effect/vitest"
import { boundedJson, display } from "../../../src/domain/render/Values.js"
import { sanitizeOperatorPayload } from "../../../src/domain/trace/Sanitize.js"

describe("sanitizeOperatorPayload", () => {
  it("drops reasoning keys by normalised name", () => {
    expect(sanitizeOperatorPayload({
      a: 1,
      Reasoning: "x",
      "chain-of-thought": "x",
      " Thinking Text ": "x",
      model_reasoning: "x",
      deep_thinking: "x",
      COT: "x",
      thoughtful: "kept"
    })).toEqual({ a: 1, thoughtful: "kept" })
  })

  it("drops internal markers and reasoning-typed blocks, in maps and lists, recursively", () => {
    expect(sanitizeOperatorPayload({
      events: [
        { type: "text", text: "hi" },
        { type: "Reasoning-Content", text: "x" },
        { openclaw_internal: true },
        { origin: "openclaw.internal_maintenance" },
        [{ type: "thought" }, 3]
      ],
      meta: { openclaw_internal: true, x: 1 },
      nested: { deeper: { analysis: "x", keep: [{ type: "thinking" }] } },
      flag: { openclaw_internal: "true" }
    })).toEqual({
      events: [{ type: "text", text: "hi" }, [3]],
      nested: { deeper: { keep: [] } },
      flag: { openclaw_internal: "true" }
    })
  })

  it("a dropped root becomes {}; scalars pass through", () => {
    expect(sanitizeOperatorPayload({ type: "analysis", text: "x" })).toEqual({})
    expect(sanitizeOperatorPayload(null)).toBe(null)
    expect(sanitizeOperatorPayload("s")).toBe("s")
  })

  it("a __proto__ key in parsed JSON stays data", () => {
    const parsed: unknown = JSON.parse("{\"__proto__\": {\"polluted\": 1}, \"a\": 1}")
    const out = sanitizeOperatorPayload(parsed) as Record<string, unknown>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(JSON.stringify(out)).toBe("{\"__proto__\":{\"polluted\":1},\"a\":1}")
  })
})

describe("value rendering", () => {
  it("display never shows a language repr", () => {
    expect(display(undefined)).toBe("unknown")
    expect(display(null)).toBe("unknown")
    expect(display("")).toBe("unknown")
    expect(display(true)).toBe("true")
    expect(display(0)).toBe("0")
    expect(display({ a: 1 })).toBe("{\"a\":1}")
  })

  it("boundedJson cuts by code points and marks the cut", () => {
    expect(boundedJson({ a: 1 }, 1000)).toBe("{\"a\":1}")
    expect(boundedJson("😀".repeat(10), 5)).toBe("\"😀😀😀😀...")
    expect(boundedJson("abc", 5)).toBe("\"abc\"")
  })
})
