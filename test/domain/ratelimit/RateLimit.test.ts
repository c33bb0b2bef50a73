import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { makeRateLimiterMemory, RateLimiterMemory } from "../../../src/adapters/storage/memory/RateLimiterMemory.js"
import { handleCommand } from "../../../src/domain/command/Router.js"
import { consume, fullBucket, hasToken, refill, takeBoth, tokensOf, UNITS_PER_TOKEN } from "../../../src/domain/ratelimit/TokenBucket.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { saying, settingsLayer } from "../../support/Builders.js"
import { makeLedgerFake } from "../fakes.js"

describe("token bucket math", () => {
  it("capacity 5: five takes succeed, the sixth fails", () => {
    let b = fullBucket(5, 0)
    for (let i = 0; i < 5; i++) {
      b = refill(b, 5, 0)
      expect(hasToken(b)).toBe(true)
      b = consume(b)
    }
    expect(hasToken(refill(b, 5, 0))).toBe(false)
  })

  it("an empty bucket refills continuously at rpm/60 per second, capped at capacity", () => {
    const empty = { units: 0, atMillis: 0 }
    expect(tokensOf(refill(empty, 300, 1000))).toBe(5) // 5/s for 1 s
    expect(tokensOf(refill(empty, 10, 3000))).toBe(0.5)
    expect(tokensOf(refill(empty, 10, 6000))).toBe(1)
    expect(tokensOf(refill(empty, 10, 3_600_000))).toBe(10)
    // 0 tokens, refill 5/s, last refill 1 s ago: a take succeeds (reference unit test).
    expect(hasToken(refill(empty, 300, 1000))).toBe(true)
  })

  it("a clock going backwards refills nothing", () => {
    expect(refill({ units: 5, atMillis: 10_000 }, 60, 5_000)).toEqual({ units: 5, atMillis: 10_000 })
  })

  it("takeBoth needs a token in both and a denial consumes from neither", () => {
    const T = UNITS_PER_TOKEN
    const denied = takeBoth({ units: 3 * T, atMillis: 0 }, 10, { units: T - 1, atMillis: 0 }, 10, 0)
    expect(denied).toEqual({ allowed: false, sender: { units: 3 * T, atMillis: 0 }, channel: { units: T - 1, atMillis: 0 } })
    const allowed = takeBoth({ units: 3 * T, atMillis: 0 }, 10, { units: T, atMillis: 0 }, 10, 0)
    expect(allowed).toMatchObject({ allowed: true, sender: { units: 2 * T }, channel: { units: 0 } })
  })
})

const limiterWith = (user: number, channel: number) =>
  RateLimiterMemory.pipe(Layer.provide(settingsLayer({ rateLimitUserRpm: user, rateLimitChannelRpm: channel })))

const take = (s: string, c: string) => Effect.flatMap(RateLimiter, (l) => l.take(s, c))

describe("RateLimiterMemory", () => {
  it.effect("user rpm 2: user1 twice then denied; user2 still allowed in the same channel", () =>
    Effect.gen(function*() {
      expect(yield* take("t:user1", "t:c1")).toBe(true)
      expect(yield* take("t:user1", "t:c1")).toBe(true)
      expect(yield* take("t:user1", "t:c1")).toBe(false)
      expect(yield* take("t:user2", "t:c1")).toBe(true)
    }).pipe(Effect.provide(limiterWith(2, 30))))

  it.effect("channel rpm 2: two users allowed in channel1, a third denied; channel2 still allowed", () =>
    Effect.gen(function*() {
      expect(yield* take("t:u1", "t:c1")).toBe(true)
      expect(yield* take("t:u2", "t:c1")).toBe(true)
      expect(yield* take("t:u3", "t:c1")).toBe(false)
      expect(yield* take("t:u3", "t:c2")).toBe(true)
    }).pipe(Effect.provide(limiterWith(10, 2))))

  it.effect("a denied message takes nothing from the other bucket", () =>
    Effect.gen(function*() {
      expect(yield* take("t:u1", "t:c1")).toBe(true) // user bucket now empty
      expect(yield* take("t:u1", "t:c1")).toBe(false)
      expect(yield* take("t:u1", "t:c1")).toBe(false)
      // The channel (capacity 2) still has its second token for someone else.
      expect(yield* take("t:u2", "t:c1")).toBe(true)
    }).pipe(Effect.provide(limiterWith(1, 2))))

  it.effect("a DM whose chat id equals the user id still has two budgets", () =>
    Effect.gen(function*() {
      expect(yield* take("t:42", "t:42")).toBe(true)
      expect(yield* take("t:42", "t:42")).toBe(false) // user rpm 1; the channel bucket is separate
      expect(yield* take("t:7", "t:42")).toBe(true)
    }).pipe(Effect.provide(limiterWith(1, 5))))

  it.effect("after exhausting 10, one more request every 6 s", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 10; i++) expect(yield* take("t:u", "t:c")).toBe(true)
      expect(yield* take("t:u", "t:c")).toBe(false)
      yield* TestClock.adjust(5_999)
      expect(yield* take("t:u", "t:c")).toBe(false)
      yield* TestClock.adjust(1)
      expect(yield* take("t:u", "t:c")).toBe(true)
      expect(yield* take("t:u", "t:c")).toBe(false)
    }).pipe(Effect.provide(limiterWith(10, 30))))

  it.effect("idle buckets are evicted, so memory is bounded by recent traffic", () =>
    Effect.gen(function*() {
      const limiter = yield* makeRateLimiterMemory
      for (let i = 0; i < 100; i++) yield* limiter.take(`t:u${i}`, `t:c${i}`)
      expect(limiter.bucketCount()).toBe(200)
      yield* TestClock.adjust(10 * 60_000 + 1)
      yield* limiter.take("t:new", "t:new")
      expect(limiter.bucketCount()).toBe(2)
    }).pipe(Effect.provide(settingsLayer({ rateLimitUserRpm: 10, rateLimitChannelRpm: 30 }))))

  it.effect("through the router: the sixth /status at 5 rpm is rate limited", () =>
    Effect.gen(function*() {
      const backend = makeBackendStub({ health: { ok: true }, promptQueue: {} })
      const settings = settingsLayer({ rateLimitUserRpm: 5, rateLimitChannelRpm: 30 })
      const layer = Layer.mergeAll(backend.layer, makeLedgerFake().layer, settings, RateLimiterMemory.pipe(Layer.provide(settings)))
      const replies = yield* Effect.forEach(
        Array.from({ length: 6 }),
        () => Effect.map(handleCommand(saying("/status"), { eventKey: "" }), (r) => r.text)
      ).pipe(Effect.provide(layer)) // one limiter for all six
      expect(replies[4]).toContain("System Status")
      expect(replies[5]!.toLowerCase()).toContain("rate limit")
      expect(backend.callsTo("health").length).toBe(5)
    }))
})
