import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { describe, expect, it } from "@effect/vitest"
import { join } from "node:path"
import { Effect, Layer, Option, TestClock } from "effect"
import { ButtonStoreMemory } from "../../../src/adapters/storage/memory/ButtonStoreMemory.js"
import { BUTTON_SWEEP_INTERVAL_MILLIS, makeButtonStoreSqlite } from "../../../src/adapters/storage/sqlite/ButtonStoreSqlite.js"
import { migrate } from "../../../src/adapters/storage/sqlite/sqliteMigrations.js"
import { ButtonStore, type StoredButton } from "../../../src/ports/ButtonStore.js"
import { tempDir, tempSqliteStorage } from "./tempSqlite.js"

/** One contract for every ButtonStore (memory, SQLite); time is the TestClock's. */

const APPROVE: StoredButton = { action: "approval.approve", approvalId: "apr_1a2b3c4d5e6f" }
const REJECT: StoredButton = { action: "approval.reject", approvalId: "apr_0f9e8d7c6b5a" }
const START = 1_700_000_000_000

const contract = (name: string, layer: () => Layer.Layer<ButtonStore, unknown>) =>
  describe(`ButtonStore (${name})`, () => {
    it.effect("a stored button reads back; an unknown request id reads as none", () =>
      Effect.gen(function*() {
        const store = yield* ButtonStore
        yield* store.put("AAAAAAAAAAAAAAAA", APPROVE, 60_000)
        yield* store.put("BBBBBBBBBBBBBBBB", REJECT, 60_000)
        expect(yield* store.get("AAAAAAAAAAAAAAAA")).toEqual(Option.some(APPROVE))
        expect(yield* store.get("BBBBBBBBBBBBBBBB")).toEqual(Option.some(REJECT))
        expect(yield* store.get("CCCCCCCCCCCCCCCC")).toEqual(Option.none())
      }).pipe(Effect.provide(layer())))

    it.effect("a button is gone once its time to live has passed", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(START)
        const store = yield* ButtonStore
        yield* store.put("AAAAAAAAAAAAAAAA", APPROVE, 1_000)
        yield* TestClock.adjust(999)
        expect(yield* store.get("AAAAAAAAAAAAAAAA")).toEqual(Option.some(APPROVE))
        yield* TestClock.adjust(1)
        expect(yield* store.get("AAAAAAAAAAAAAAAA")).toEqual(Option.none())
      }).pipe(Effect.provide(layer())))

    it.effect("putting a request id again replaces the button and its expiry", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(START)
        const store = yield* ButtonStore
        yield* store.put("AAAAAAAAAAAAAAAA", APPROVE, 1_000)
        yield* TestClock.adjust(500)
        yield* store.put("AAAAAAAAAAAAAAAA", REJECT, 1_000)
        yield* TestClock.adjust(900)
        expect(yield* store.get("AAAAAAAAAAAAAAAA")).toEqual(Option.some(REJECT))
        yield* TestClock.adjust(100)
        expect(yield* store.get("AAAAAAAAAAAAAAAA")).toEqual(Option.none())
      }).pipe(Effect.provide(layer())))
  })

contract("memory", () => ButtonStoreMemory)
contract("sqlite", () => tempSqliteStorage())

/** The SQLite store over its own client, with the client exposed to inspect and damage rows. */
const rawSqlite = () =>
  Layer.effect(ButtonStore, Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* migrate
    return ButtonStore.of(makeButtonStoreSqlite(sql))
  })).pipe(
    Layer.provideMerge(Layer.unwrapScoped(Effect.map(tempDir, (dir) => SqliteClient.layer({ filename: join(dir, "buttons.db") }))))
  )

const rowIds = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ readonly request_id: string }>`SELECT request_id FROM button_refs ORDER BY request_id`, (rows) =>
    rows.map((r) => r.request_id)))

describe("ButtonStore (sqlite) rows", () => {
  it.effect("a row whose action is not one we store is corrupt, not a button", () =>
    Effect.gen(function*() {
      const store = yield* ButtonStore
      yield* store.put("AAAAAAAAAAAAAAAA", APPROVE, 60_000)
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE button_refs SET action = 'approval.everything' WHERE request_id = 'AAAAAAAAAAAAAAAA'`
      const error = yield* Effect.flip(store.get("AAAAAAAAAAAAAAAA"))
      expect([error._tag, error.reason, error.operation]).toEqual(["StoreError", "corrupt", "button-get"])
    }).pipe(Effect.provide(rawSqlite())))

  it.effect("expired rows are swept on a put at most once a minute, not on every put", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(START)
      const store = yield* ButtonStore
      yield* store.put("AAAAAAAAAAAAAAAA", APPROVE, 1_000)
      yield* TestClock.adjust(2_000)
      yield* store.put("BBBBBBBBBBBBBBBB", REJECT, 1_000)
      // A expired but no sweep yet (the last one ran 2 s ago): the row is there, `get` hides it.
      expect(yield* rowIds).toEqual(["AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB"])
      expect(yield* store.get("AAAAAAAAAAAAAAAA")).toEqual(Option.none())
      yield* TestClock.adjust(BUTTON_SWEEP_INTERVAL_MILLIS - 2_000)
      yield* store.put("CCCCCCCCCCCCCCCC", APPROVE, 120_000)
      expect(yield* rowIds).toEqual(["CCCCCCCCCCCCCCCC"])
      expect(yield* store.get("CCCCCCCCCCCCCCCC")).toEqual(Option.some(APPROVE))
    }).pipe(Effect.provide(rawSqlite())))
})
