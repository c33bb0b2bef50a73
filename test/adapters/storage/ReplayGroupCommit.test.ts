import { it } from "@effect/vitest"
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Exit, Fiber } from "effect"
import { describe, expect } from "vitest"
import { makeReplayStoreSqlite } from "../../../src/adapters/storage/sqlite/ReplayStoreSqlite.js"
import { replayFileFor } from "../../../src/adapters/storage/sqlite/SqliteStorage.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { tempDir, tempSqliteStorage } from "./tempSqlite.js"

/**
 * Group commit: operations issued in the same event-loop turn share one SQLite transaction.
 * These cases put claims, transitions and repeated keys into one batch on purpose.
 */
const TTL = 60_000

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

  it.scoped("a claim whose fiber is interrupted before its batch is written is withdrawn", () =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      // Forked and interrupted in the same turn: the batch has not been written yet.
      const fiber = yield* Effect.fork(store.claim("cut", TTL))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      // No claim was left behind, so the platform's redelivery runs.
      expect(yield* store.claim("cut", TTL)).toBe("claimed")
    }).pipe(Effect.provide(tempSqliteStorage())))

  it.scoped("a commit whose fiber is interrupted while it waits is still written", () =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      yield* store.claim("ran", TTL)
      const fiber = yield* Effect.fork(store.commit("ran", TTL))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      // The command ran: its redelivery must be a no-op, not a second run nor "in flight".
      expect(yield* store.claim("ran", TTL)).toBe("duplicate_after_success")
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

describe("replay store file", () => {
  it("lives beside the main file", () => {
    expect(replayFileFor("/state/connector.sqlite")).toBe("/state/connector.replay.sqlite")
    expect(replayFileFor("data/db")).toBe("data/db.replay.sqlite")
  })

  it.scoped("a replay file that is not a database fails as unavailable, never as a defect", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = join(dir, "r.replay.sqlite")
      yield* Effect.promise(() => writeFile(file, "this is not a database, but long enough to have a header".repeat(20)))
      const exit = yield* Effect.exit(makeReplayStoreSqlite(file))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && [exit.cause.error.reason, exit.cause.error.operation])
        .toEqual(["unavailable", "open"])
      yield* Effect.promise(() => mkdir(join(dir, "as-dir.sqlite")))
      const dirExit = yield* Effect.exit(makeReplayStoreSqlite(join(dir, "as-dir.sqlite")))
      expect(Exit.isFailure(dirExit) && dirExit.cause._tag === "Fail").toBe(true)
    }))

  it.scoped("an operation asked after the store closed fails as unavailable (nothing admitted)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const store = yield* Effect.scoped(makeReplayStoreSqlite(join(dir, "r.sqlite")))
      const exit = yield* Effect.exit(store.claim("late", TTL))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error.reason).toBe("unavailable")
    }))

  it.scoped("fail then commit of one key in one batch ends terminal, as asked", () =>
    Effect.gen(function*() {
      const store = yield* ReplayStore
      yield* store.claim("k", TTL)
      yield* Effect.all([store.fail("k", TTL), store.commit("k", TTL)], { concurrency: "unbounded" })
      expect(yield* store.claim("k", TTL)).toBe("duplicate_after_terminal_failure")
    }).pipe(Effect.provide(tempSqliteStorage())))
})
