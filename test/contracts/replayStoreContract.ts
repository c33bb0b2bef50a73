import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { type ClaimOutcome, isAccepted, ReplayStore } from "../../src/ports/ReplayStore.js"
import type { StoreError } from "../../src/ports/StoreError.js"

const TTL = 300_000

type Step = "claim" | "commit" | "release" | "fail"

/**
 * The ReplayStore contract (port docs + spec platforms-slack-feishu §8.1). `layer` must build a
 * fresh, empty store each time it is provided; tests run under TestClock, so the adapter must
 * take its time from Effect's Clock.
 */
export const replayStoreContract = (name: string, layer: Layer.Layer<ReplayStore, StoreError>) => {
  const run = <A, E>(effect: Effect.Effect<A, E, ReplayStore>) => Effect.provide(effect, layer)

  /** Plays the steps on one key and returns every claim's outcome. */
  const play = (steps: ReadonlyArray<Step>, key = "slack:T1:evt-1") =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      const outcomes: Array<ClaimOutcome> = []
      for (const step of steps) {
        if (step === "claim") outcomes.push(yield* store.claim(key, TTL))
        else yield* store[step](key, TTL)
      }
      return outcomes
    })

  describe(`ReplayStore contract: ${name}`, () => {
    const table: ReadonlyArray<readonly [ReadonlyArray<Step>, ReadonlyArray<ClaimOutcome>]> = [
      [["claim"], ["claimed"]],
      [["claim", "claim"], ["claimed", "duplicate_in_flight"]],
      [["claim", "commit", "claim"], ["claimed", "duplicate_after_success"]],
      [["claim", "release", "claim"], ["claimed", "retry_claimed"]],
      [["claim", "release", "claim", "claim"], ["claimed", "retry_claimed", "duplicate_in_flight"]],
      [["claim", "release", "claim", "release", "claim"], ["claimed", "retry_claimed", "retry_claimed"]],
      [["claim", "fail", "claim"], ["claimed", "duplicate_after_terminal_failure"]],
      [["claim", "release", "commit", "claim"], ["claimed", "duplicate_after_success"]],
      [["claim", "release", "fail", "claim"], ["claimed", "duplicate_after_terminal_failure"]],
      // Disallowed moves leave the record unchanged.
      [["claim", "commit", "release", "claim"], ["claimed", "duplicate_after_success"]],
      [["claim", "commit", "fail", "claim"], ["claimed", "duplicate_after_success"]],
      [["claim", "fail", "commit", "claim"], ["claimed", "duplicate_after_terminal_failure"]],
      [["claim", "fail", "release", "claim"], ["claimed", "duplicate_after_terminal_failure"]],
      [["claim", "release", "release", "claim"], ["claimed", "retry_claimed"]],
      // Transitions of an unknown key create nothing.
      [["commit", "claim"], ["claimed"]],
      [["release", "claim"], ["claimed"]],
      [["fail", "claim"], ["claimed"]]
    ]
    for (const [steps, expected] of table) {
      it.effect(`${steps.join(" -> ")} gives ${expected.join(", ")}`, () =>
        run(Effect.gen(function*() {
          expect(yield* play(steps)).toEqual(expected)
        })))
    }

    it.effect("keys are independent", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        yield* store.claim("a", TTL)
        yield* store.commit("a", TTL)
        expect(yield* store.claim("b", TTL)).toBe("claimed")
        expect(yield* store.claim("a", TTL)).toBe("duplicate_after_success")
      })))

    it.effect("keys are trimmed, and a blank key is refused as invalid-key", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        expect(yield* store.claim(" k ", TTL)).toBe("claimed")
        expect(yield* store.claim("k", TTL)).toBe("duplicate_in_flight")
        const error = yield* Effect.flip(store.claim("   ", TTL))
        expect(error).toMatchObject({ _tag: "StoreError", reason: "invalid-key" })
      })))

    it.effect("of many concurrent claims of one key exactly one is accepted", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        const outcomes = yield* Effect.all(Array.from({ length: 25 }, () => store.claim("same", TTL)), {
          concurrency: "unbounded"
        })
        expect(outcomes.filter(isAccepted)).toEqual(["claimed"])
        expect(outcomes.filter((o) => o === "duplicate_in_flight")).toHaveLength(24)
      })))

    it.effect("of concurrent retries after a release exactly one is accepted", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        yield* store.claim("k", TTL)
        yield* store.release("k", TTL)
        const outcomes = yield* Effect.all(Array.from({ length: 10 }, () => store.claim("k", TTL)), {
          concurrency: "unbounded"
        })
        expect(outcomes.filter(isAccepted)).toEqual(["retry_claimed"])
      })))

    it.effect("a claim is remembered until the TTL has passed, then forgotten", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        expect(yield* store.claim("k", 1000)).toBe("claimed")
        yield* TestClock.adjust(999)
        expect(yield* store.claim("k", 1000)).toBe("duplicate_in_flight")
        yield* TestClock.adjust(1)
        expect(yield* store.claim("k", 1000)).toBe("claimed")
      })))

    it.effect("a duplicate claim does not extend the expiry", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        yield* store.claim("k", 1000)
        yield* TestClock.adjust(600)
        yield* store.claim("k", 1000)
        yield* TestClock.adjust(400)
        expect(yield* store.claim("k", 1000)).toBe("claimed")
      })))

    it.effect("the TTL counts from the last transition", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        yield* store.claim("k", 1000)
        yield* TestClock.adjust(900)
        yield* store.commit("k", 1000)
        yield* TestClock.adjust(900)
        expect(yield* store.claim("k", 1000)).toBe("duplicate_after_success")
        yield* TestClock.adjust(100)
        expect(yield* store.claim("k", 1000)).toBe("claimed")
      })))

    it.effect("a transition on an expired record does nothing", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        yield* store.claim("k", 1000)
        yield* TestClock.adjust(1000)
        yield* store.commit("k", 1000)
        expect(yield* store.claim("k", 1000)).toBe("claimed")
      })))

    it.effect("an expired record of any state is claimed afresh", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        const ttl = 50
        yield* store.claim("d", ttl)
        yield* store.commit("d", ttl)
        yield* store.claim("t", ttl)
        yield* store.fail("t", ttl)
        yield* store.claim("r", ttl)
        yield* store.release("r", ttl)
        yield* TestClock.adjust(ttl)
        expect(yield* Effect.all([store.claim("d", ttl), store.claim("t", ttl), store.claim("r", ttl)])).toEqual([
          "claimed",
          "claimed",
          "claimed"
        ])
      })))

    // The reference forgot keys beyond 5,000 entries; a store must not.
    it.effect("no capacity bound forgets live keys", () =>
      run(Effect.gen(function*() {
        const store = yield* ReplayStore
        yield* store.claim("first", TTL)
        yield* store.commit("first", TTL)
        yield* Effect.forEach(Array.from({ length: 5100 }, (_, i) => `k${i}`), (k) => store.claim(k, TTL), {
          discard: true
        })
        expect(yield* store.claim("first", TTL)).toBe("duplicate_after_success")
      })))
  })
}
