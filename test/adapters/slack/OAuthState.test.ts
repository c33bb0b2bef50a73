import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { makeOAuthStates } from "../../../src/adapters/slack/OAuthState.js"

/** Single-use OAuth states: issue, consume once, expire; pruning stops at the first live state. */
const TTL = 60_000

/** A pending map that counts the entries its iteration visits (what pruning scans). */
class CountingMap extends Map<string, number> {
  visited = 0
  override *[Symbol.iterator](): MapIterator<[string, number]> {
    for (const entry of super.entries()) {
      this.visited += 1
      yield entry
    }
  }
}

describe("Slack OAuth states", () => {
  it.effect("a state is consumed once, within its TTL; unknown and malformed states are refused", () =>
    Effect.gen(function*() {
      const states = makeOAuthStates(TTL)
      const state = yield* states.issue
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(yield* states.consume(` ${state} `)).toBe(true)
      expect(yield* states.consume(state)).toBe(false)
      expect(yield* states.consume("x".repeat(43))).toBe(false)
      expect(yield* states.consume("not a state")).toBe(false)
      const late = yield* states.issue
      yield* TestClock.adjust(TTL + 1)
      expect(yield* states.consume(late)).toBe(false)
    }))

  it.effect("pruning on /slack/install stops at the first unexpired state (states are in issue order)", () =>
    Effect.gen(function*() {
      const pending = new CountingMap()
      const states = makeOAuthStates(TTL, 10_000, pending)
      for (let i = 0; i < 500; i++) yield* states.issue
      pending.visited = 0
      yield* states.issue
      // One live state seen, not all 500.
      expect(pending.visited).toBe(1)
      yield* TestClock.adjust(TTL + 1)
      pending.visited = 0
      yield* states.issue
      // Every expired state visited and dropped (the new one is added after pruning).
      expect(pending.visited).toBe(501)
      expect(pending.size).toBe(1)
    }))

  it.effect("an expired state is refused even where pruning stopped before it", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust(10 * TTL)
      const fresh = "F".repeat(43)
      const stale = "S".repeat(43)
      // Out of issue order (a clock that went back): pruning stops at the live first entry.
      const pending = new Map([[fresh, 10 * TTL], [stale, 10 * TTL - 2 * TTL]])
      const states = makeOAuthStates(TTL, 10_000, pending)
      expect(yield* states.consume(stale)).toBe(false)
      expect(pending.has(stale)).toBe(false)
      expect(yield* states.consume(fresh)).toBe(true)
    }))
})
