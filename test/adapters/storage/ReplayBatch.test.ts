import { it } from "@effect/vitest"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import {
  claimQuery,
  laterClaimOutcome,
  transitionQuery,
  transitionSegments,
  uniqueByKey
} from "../../../src/adapters/storage/sqlite/ReplayBatch.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { tempSqliteStorage } from "./tempSqlite.js"

/**
 * Group commit: operations issued in the same event-loop turn share one SQLite transaction.
 * These cases put claims, transitions and repeated keys into one batch on purpose.
 */
const TTL = 60_000

describe("replay batch SQL", () => {
  it("one statement per batch, whatever its size", () => {
    const ops = Array.from({ length: 3 }, (_, i) => ({ key: `k${i}`, now: 10, expiresAt: 20 }))
    const claim = claimQuery(ops)
    expect(claim.text.match(/\(\?, 'claimed', 1, \?, \?, 'claimed'\)/g)).toHaveLength(3)
    expect(claim.params).toEqual(["k0", 10, 20, "k1", 10, 20, "k2", 10, 20])
    const commit = transitionQuery("commit", ops)
    expect(commit.text).toContain("SET state = 'delivered'")
    expect(commit.text).toContain("replay_claims.state IN ('claimed', 'retryable')")
    expect(commit.params).toHaveLength(9)
  })

  it("keeps the first operation of each key and derives later claims from the first", () => {
    expect(uniqueByKey([{ key: "a", n: 1 }, { key: "b", n: 2 }, { key: "a", n: 3 }])).toEqual([
      { key: "a", n: 1 },
      { key: "b", n: 2 }
    ])
    expect(laterClaimOutcome("claimed")).toBe("duplicate_in_flight")
    expect(laterClaimOutcome("retry_claimed")).toBe("duplicate_in_flight")
    expect(laterClaimOutcome("duplicate_after_success")).toBe("duplicate_after_success")
  })
})

describe("SqliteStorage group commit", () => {
  it.scoped("claims of different keys and a commit in one batch each get their own outcome", () =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      yield* store.claim("done", TTL)
      const [commit, a, b, aAgain] = yield* Effect.all(
        [store.commit("done", TTL), store.claim("a", TTL), store.claim("b", TTL), store.claim("a", TTL)],
        { concurrency: "unbounded" }
      )
      expect(commit).toBeUndefined()
      expect([a, b, aAgain]).toEqual(["claimed", "claimed", "duplicate_in_flight"])
      // The commit of the same batch was written before its claims were judged.
      expect(yield* store.claim("done", TTL)).toBe("duplicate_after_success")
    }).pipe(Effect.provide(tempSqliteStorage())))

  it.scoped("a redelivery in the same batch as the commit of its first delivery is a no-op", () =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      yield* store.claim("evt", TTL)
      const [, again] = yield* Effect.all([store.commit("evt", TTL), store.claim("evt", TTL)], {
        concurrency: "unbounded"
      })
      expect(again).toBe("duplicate_after_success")
    }).pipe(Effect.provide(tempSqliteStorage())))

  it.scoped("hundreds of concurrent claims are all answered, one accepted per key", () =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      const keys = Array.from({ length: 600 }, (_, i) => `k${i % 300}`)
      const outcomes = yield* Effect.all(keys.map((k) => store.claim(k, TTL)), { concurrency: "unbounded" })
      expect(outcomes.filter((o) => o === "claimed")).toHaveLength(300)
      expect(outcomes.filter((o) => o === "duplicate_in_flight")).toHaveLength(300)
    }).pipe(Effect.provide(tempSqliteStorage())))
})

describe("transition segments", () => {
  const op = (key: string, transition: "commit" | "release" | "fail") => ({ key, now: 1, expiresAt: 2, transition })
  it("start a new segment whenever a key repeats, keeping order", () => {
    const segments = transitionSegments([op("a", "fail"), op("b", "commit"), op("a", "commit"), op("c", "release")])
    expect(segments.map((s) => s.map((o) => `${o.key}:${o.transition}`))).toEqual([
      ["a:fail", "b:commit"],
      ["a:commit", "c:release"]
    ])
  })

  it.scoped("fail then commit of one key in one batch ends terminal, as asked", () =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      yield* store.claim("k", TTL)
      yield* Effect.all([store.fail("k", TTL), store.commit("k", TTL)], { concurrency: "unbounded" })
      expect(yield* store.claim("k", TTL)).toBe("duplicate_after_terminal_failure")
    }).pipe(Effect.provide(tempSqliteStorage())))
})
