import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { deliveryCallPolicy, deliveryErrorOf, deliveryStepRule } from "../../../src/adapters/telegram/DeliveryRules.js"
import { TelegramCallError } from "../../../src/adapters/telegram/TelegramApi.js"

const err = (reason: TelegramCallError["reason"], over: Partial<ConstructorParameters<typeof TelegramCallError>[0]> = {}) =>
  new TelegramCallError({ method: "sendPhoto", reason, ...over })
const fresh = { failures: 0, rateLimitWaits: 0, hasThread: false }
const rule = deliveryStepRule()

const anError = fc.record({
  reason: fc.constantFrom(...TelegramCallError.fields.reason.literals),
  status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
  description: fc.option(fc.string(), { nil: undefined }),
  neverSent: fc.option(fc.boolean(), { nil: undefined }),
  retryAfterSeconds: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined })
}).map((e) => err(e.reason, e))

describe("Telegram delivery rules", () => {
  it("maps Bot API failures to the port's reasons", () => {
    const reason = (e: TelegramCallError, rung: "text" | "image" | "document" = "text") => deliveryErrorOf(e, rung).reason
    expect(reason(err("rejected", { status: 413, description: "Request Entity Too Large" }), "document")).toBe("too-large")
    expect(reason(err("rejected", { status: 400, description: "Bad Request: PHOTO_INVALID_DIMENSIONS" }), "image")).toBe("too-large")
    expect(reason(err("rejected", { status: 400, description: "Bad Request: PHOTO_INVALID_DIMENSIONS" }), "text")).toBe("rejected")
    expect(reason(err("rejected", { status: 400, description: "Bad Request: chat not found" }), "image")).toBe("rejected")
    expect(reason(err("forbidden", { status: 403 }))).toBe("rejected")
    expect(reason(err("rate-limited", { status: 429, retryAfterSeconds: 9999 }))).toBe("unavailable")
    expect(reason(err("server", { status: 502 }))).toBe("unavailable")
    expect(reason(err("unauthorized", { status: 401 }))).toBe("unavailable")
    expect(reason(err("unreachable", { neverSent: true }))).toBe("unavailable")
    expect(reason(err("unreachable", { neverSent: false }))).toBe("unknown-outcome")
    expect(reason(err("unreachable"))).toBe("unknown-outcome")
  })

  it("waits out 429s (bounded) and retries never-sent failures; a vanished topic moves to the chat", () => {
    expect(rule(err("rate-limited", { retryAfterSeconds: 2 }), fresh, 0.5)).toEqual({ _tag: "Retry", delayMillis: 2000, dropThread: false })
    expect(rule(err("rate-limited", { retryAfterSeconds: 2 }), { ...fresh, rateLimitWaits: deliveryCallPolicy.maxRateLimitWaits }, 0.5)._tag)
      .toBe("GiveUp")
    expect(rule(err("unreachable", { neverSent: true }), fresh, 0.5)._tag).toBe("Retry")
    expect(rule(err("unreachable", { neverSent: true }), { ...fresh, failures: deliveryCallPolicy.maxAttempts - 1 }, 0.5)._tag).toBe("GiveUp")
    const gone = err("rejected", { status: 400, description: "Bad Request: message thread not found" })
    expect(rule(gone, { ...fresh, hasThread: true }, 0)).toEqual({ _tag: "Retry", delayMillis: 0, dropThread: true })
  })

  it.prop("never resends a call that may have reached Telegram (no idempotency there)", [anError, fc.double({ min: 0, max: 0.999, noNaN: true })], ([e, jitter]) => {
    const step = rule(e, { ...fresh, hasThread: true }, jitter)
    const mayHaveRun = e.reason === "server" || (e.reason === "unreachable" && e.neverSent !== true) ||
      e.reason === "forbidden" || e.reason === "unauthorized" || e.reason === "conflict"
    if (mayHaveRun) expect(step._tag).toBe("GiveUp")
    if (step._tag === "Retry" && e.reason === "rejected") expect(step.dropThread).toBe(true)
  })

  it.prop("every failure maps to one of the failure reasons (never success)", [anError, fc.constantFrom("text" as const, "image" as const, "document" as const)], ([e, rung]) => {
    const mapped = deliveryErrorOf(e, rung)
    expect(mapped._tag).toBe("DeliveryError")
    expect(["too-large", "rejected", "unavailable", "unknown-outcome"]).toContain(mapped.reason)
  })
})
