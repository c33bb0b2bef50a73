import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { describe, expect, it } from "@effect/vitest"
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Cause, Effect, Exit, Option, TestClock } from "effect"
import { replayFileFor, SqliteStorage } from "../../../src/adapters/storage/sqlite/SqliteStorage.js"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { StoreProbe } from "../../../src/ports/StoreProbe.js"
import { ledgerEntry } from "../../contracts/jobLedgerContract.js"
import { tempDir } from "./tempSqlite.js"

/** Run `effect` against the storage in `filename`, closing the database afterwards. */
const withStorage = <A, E>(filename: string, effect: Effect.Effect<A, E, ReplayStore | JobLedger | StoreProbe>) =>
  Effect.provide(effect, SqliteStorage.layer({ filename }))

/** Raw SQL on the same file, as another process would see it. */
const withRawSql = <A, E>(filename: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient.SqlClient, f), SqliteClient.layer({ filename }))

/** Building the storage on `filename` fails with a StoreError (a failure, never a defect). */
const expectOpenFailure = (filename: string) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(withStorage(filename, Effect.void))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      expect(Cause.isDie(exit.cause)).toBe(false)
      const failure = Cause.failureOption(exit.cause)
      expect(Option.map(failure, (e) => [e._tag, e.reason])).toEqual(Option.some(["StoreError", "unavailable"]))
    }
  })

describe("SqliteStorage", () => {
  it.scoped("creates missing parent directories and uses the WAL journal", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "deep", "er", "connector.db")
      yield* withStorage(filename, Effect.flatMap(StoreProbe, (p) => p.probe))
      const [mode] = yield* withRawSql(filename, (sql) => sql<{ journal_mode: string }>`PRAGMA journal_mode`)
      expect(mode?.journal_mode).toBe("wal")
    }))

  it.scoped("the ledger and replay claims survive a restart", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      const entry = ledgerEntry({ id: "approval:apr_1", kind: "approval", ref: "apr_1", state: "awaiting_approval" })
      yield* withStorage(filename, Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(entry)
        yield* ledger.record(ledgerEntry({ id: "job:done" }))
        yield* ledger.advance("job:done", "delivered", 2000)
        const replay = yield* ReplayStore
        yield* replay.claim("evt", 60_000)
        yield* replay.commit("evt", 60_000)
      }))
      yield* withStorage(filename, Effect.gen(function*() {
        const ledger = yield* JobLedger
        expect(yield* ledger.get(entry.id)).toEqual(Option.some(entry))
        expect(yield* ledger.unfinished).toEqual([entry])
        expect(yield* ledger.advance("job:done", "submitted", 3000)).toBe(false)
        expect(yield* (yield* ReplayStore).claim("evt", 60_000)).toBe("duplicate_after_success")
      }))
    }))

  // Purging runs at most once a second (bounded work on the claim path), so the clock moves 1 s.
  it.scoped("expired replay rows are purged as claims arrive", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      yield* withStorage(filename, Effect.gen(function*() {
        const replay = yield* ReplayStore
        yield* Effect.forEach(["a", "b", "c", "d"], (k) => replay.claim(k, 100), { discard: true })
        yield* replay.claim("live", 10_000)
        yield* TestClock.adjust(1_000)
        yield* replay.claim("new", 10_000)
      }))
      const rows = yield* withRawSql(replayFileFor(filename), (sql) => sql<{ key: string }>`SELECT key FROM replay_claims ORDER BY key`)
      expect(rows.map((r) => r.key)).toEqual(["live", "new"])
    }))

  it.scoped("a file that is not a database fails to open with StoreError", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      yield* Effect.promise(() => writeFile(filename, "this is not an sqlite database, just garbage ".repeat(200)))
      yield* expectOpenFailure(filename)
    }))

  it.scoped("a directory in place of the file fails to open with StoreError", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      yield* Effect.promise(() => mkdir(filename))
      yield* expectOpenFailure(filename)
    }))

  it.scoped("a parent path that is a file fails to open with StoreError", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => writeFile(join(dir, "state"), "x"))
      yield* expectOpenFailure(join(dir, "state", "connector.db"))
    }))

  it.scoped("an undecodable row is reported as corrupt, and a corrupt replay row admits nothing", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      yield* withStorage(filename, Effect.void)
      yield* withRawSql(filename, (sql) =>
        sql`INSERT INTO job_ledger (id, kind, ref, inbound_event_key, target_platform, target_channel_id,
            target_sender_id, target_workspace_id, target_thread_id, template_id, state, attempts, created_at, updated_at)
            VALUES ('job:x', 'bogus', 'x', '', 'telegram', 'c', 'u', '', '', 't', 'submitted', 0, 1, 1)`)
      yield* withRawSql(replayFileFor(filename), (sql) =>
        sql`INSERT INTO replay_claims (key, state, claim_count, updated_at, expires_at, last_outcome)
            VALUES ('evt', 'bogus', 1, 0, 9999999999999, 'claimed')`)
      yield* withStorage(filename, Effect.gen(function*() {
        const ledger = yield* JobLedger
        expect(yield* Effect.flip(ledger.get("job:x"))).toMatchObject({ _tag: "StoreError", reason: "corrupt" })
        expect(yield* Effect.flip(ledger.unfinished)).toMatchObject({ _tag: "StoreError", reason: "corrupt" })
        const claim = yield* Effect.flip((yield* ReplayStore).claim("evt", 1000))
        expect(claim).toMatchObject({ _tag: "StoreError", reason: "corrupt" })
      }))
    }))

  it.scoped("the probe writes: it fails with StoreError once the storage cannot be written", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      yield* withStorage(filename, Effect.flatMap(StoreProbe, (p) => p.probe))
      yield* withRawSql(filename, (sql) => sql`DROP TABLE store_probe`)
      const error = yield* withStorage(filename, Effect.flatMap(StoreProbe, (p) => Effect.flip(p.probe)))
      expect(error).toMatchObject({ _tag: "StoreError", reason: "unavailable", operation: "probe" })
    }))

  it.scoped("SQL failures of every port surface as StoreError unavailable", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      yield* withStorage(filename, Effect.void)
      yield* withRawSql(filename, (sql) => sql`DROP TABLE job_ledger`)
      yield* withStorage(filename, Effect.gen(function*() {
        const ledger = yield* JobLedger
        const replay = yield* ReplayStore
        // The replay file's table is created on open: take it away while the store is open.
        yield* withRawSql(replayFileFor(filename), (sql) => sql`DROP TABLE replay_claims`)
        const errors = yield* Effect.all([
          Effect.flip(ledger.record(ledgerEntry())),
          Effect.flip(ledger.get("job:p-1")),
          Effect.flip(ledger.advance("job:p-1", "delivered", 1)),
          Effect.flip(ledger.unfinished),
          Effect.flip(replay.claim("k", 1000)),
          Effect.flip(replay.commit("k", 1000))
        ])
        for (const e of errors) expect(e).toMatchObject({ _tag: "StoreError", reason: "unavailable" })
      }))
    }))
})
