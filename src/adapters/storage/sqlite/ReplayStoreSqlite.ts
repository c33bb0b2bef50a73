import Database from "better-sqlite3"
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { Clock, Effect, type Scope } from "effect"
import { type ClaimOutcome, ReplayStore } from "../../../ports/ReplayStore.js"
import { StoreError } from "../../../ports/StoreError.js"
import { clampTtl, normalizeKey, type Transition } from "../ReplayLifecycle.js"
import { CLAIM, CREATE_SCHEMA, PURGE, SCHEMA_VERSION, transitionSql } from "./ReplaySql.js"

/** Expired rows deleted per purge: bounded work, at most once a second. */
const PURGE_BATCH = 5_000
const PURGE_INTERVAL_MILLIS = 1_000
/** The file is this process's alone; a foreign lock is waited for briefly, never for long (the loop blocks). */
const BUSY_TIMEOUT_MILLIS = 250

const OUTCOMES: ReadonlySet<string> = new Set<ClaimOutcome>([
  "claimed",
  "retry_claimed",
  "duplicate_in_flight",
  "duplicate_after_success",
  "duplicate_after_terminal_failure"
])

type Op =
  | { readonly _tag: "claim"; readonly key: string; readonly now: number; readonly expiresAt: number; readonly done: (r: ClaimOutcome | StoreError) => void; cancelled: boolean }
  | { readonly _tag: Transition; readonly key: string; readonly now: number; readonly expiresAt: number; readonly done: (r: undefined | StoreError) => void; cancelled: boolean }

const unavailable = (operation: string, cause: unknown) => new StoreError({ reason: "unavailable", operation, cause })

/** Opens (creating the directory and schema) or fails as `unavailable`: not a database, unwritable... */
const open = (filename: string) =>
  Effect.try({
    try: () => {
      mkdirSync(dirname(filename), { recursive: true, mode: 0o700 })
      const db = new Database(filename)
      try {
        db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MILLIS}`)
        db.pragma("journal_mode = WAL")
        // A committed claim survives a crash of the process (the WAL is written before the
        // transaction returns); only a power cut can lose the last transactions.
        db.pragma("synchronous = NORMAL")
        db.exec(CREATE_SCHEMA)
        db.pragma(`user_version = ${SCHEMA_VERSION}`)
        return db
      } catch (e) {
        db.close()
        throw e
      }
    },
    catch: (cause) => unavailable("open", cause)
  })

/**
 * ReplayStore in its own SQLite file, through the better-sqlite3 driver directly, with group
 * commit: every operation asked for during one turn of the event loop is written in one
 * synchronous transaction at the end of that turn (setImmediate), in arrival order, and each
 * caller resumes only after that transaction committed, so a claim is durable (WAL) before its
 * command runs. A failed transaction fails every operation of its batch.
 *
 * Why a file of its own: the transaction runs synchronously, so it must never wait for a lock
 * held by a connection that only releases it on a later turn of the event loop (the @effect/sql
 * client of the main file holds transactions across awaits). No other connection writes here.
 */
export const makeReplayStoreSqlite = (filename: string): Effect.Effect<ReplayStore["Type"], StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(open(filename), (db) => Effect.sync(() => db.close()))
    const claimStatement = db.prepare<[string, number, number], { last_outcome: string }>(CLAIM)
    const transitions = {
      commit: db.prepare<[number, number, string, number]>(transitionSql("commit")),
      release: db.prepare<[number, number, string, number]>(transitionSql("release")),
      fail: db.prepare<[number, number, string, number]>(transitionSql("fail"))
    }
    const purge = db.prepare<[number, number]>(PURGE)
    let lastPurgeAt = Number.NEGATIVE_INFINITY
    let pending: Array<Op> = []
    let scheduled = false
    let closed = false

    const apply = (op: Op): ClaimOutcome | undefined => {
      if (op._tag !== "claim") {
        transitions[op._tag].run(op.now, op.expiresAt, op.key, op.now)
        return undefined
      }
      const row = claimStatement.get(op.key, op.now, op.expiresAt)
      if (row === undefined || !OUTCOMES.has(row.last_outcome)) throw new StoreError({ reason: "corrupt", operation: "claim" })
      return row.last_outcome as ClaimOutcome
    }

    const writeBatch = db.transaction((ops: ReadonlyArray<Op>) => {
      const results = ops.map(apply)
      const now = Math.max(...ops.map((op) => op.now))
      if (now - lastPurgeAt >= PURGE_INTERVAL_MILLIS || now < lastPurgeAt) {
        lastPurgeAt = now
        purge.run(now, PURGE_BATCH)
      }
      return results
    })

    const flush = () => {
      scheduled = false
      const ops = pending.filter((op) => !op.cancelled)
      pending = []
      if (ops.length === 0) return
      let results: ReadonlyArray<ClaimOutcome | undefined>
      try {
        if (closed) throw new Error("replay store closed")
        results = writeBatch(ops)
      } catch (cause) {
        const error = cause instanceof StoreError ? cause : unavailable("replay-batch", cause)
        for (const op of ops) op.done(error)
        return
      }
      ops.forEach((op, i) => op._tag === "claim" ? op.done(results[i]!) : op.done(undefined))
    }

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        flush()
        closed = true
      })
    )

    const schedule = (op: Op) => {
      pending.push(op)
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    }

    /**
     * A claim waits for this turn's batch; interruption before the write withdraws it, so a
     * request cut off by shutdown leaves no claim behind and its redelivery runs.
     */
    const enqueueClaim = (make: (done: (r: ClaimOutcome | StoreError) => void) => Op) =>
      Effect.async<ClaimOutcome, StoreError>((resume) => {
        const op = make((r) => resume(r instanceof StoreError ? Effect.fail(r) : Effect.succeed(r)))
        schedule(op)
        return Effect.sync(() => {
          op.cancelled = true
        })
      })

    /**
     * A transition that was asked is written even if its fiber is interrupted meanwhile (a commit
     * or release must not be lost to shutdown), so its wait has no canceller: Effect wraps an
     * async with a canceller in an interruption handler, which measured as the dearest step of
     * a webhook's replay bookkeeping.
     */
    const enqueueTransition = (make: (done: (r: undefined | StoreError) => void) => Op) =>
      Effect.async<void, StoreError>((resume) => {
        schedule(make((r) => resume(r instanceof StoreError ? Effect.fail(r) : Effect.void)))
      })

    // Generator functions are created once here, not per call: on Node 20 a generator function
    // expression evaluated per call costs ~1.5 µs (V8 builds its prototype and map each time).
    const claim = Effect.fnUntraced(function*(key: string, ttlMillis: number) {
      const k = yield* normalizeKey(key, "claim")
      const now = yield* Clock.currentTimeMillis
      const expiresAt = now + clampTtl(ttlMillis)
      return yield* enqueueClaim((done) => ({ _tag: "claim", key: k, now, expiresAt, done, cancelled: false }))
    })

    const transition = (name: Transition) =>
      Effect.fnUntraced(function*(key: string, ttlMillis: number) {
        const k = yield* normalizeKey(key, name)
        const now = yield* Clock.currentTimeMillis
        const expiresAt = now + clampTtl(ttlMillis)
        yield* enqueueTransition((done) => ({ _tag: name, key: k, now, expiresAt, done, cancelled: false }))
      })

    return ReplayStore.of({ claim, commit: transition("commit"), release: transition("release"), fail: transition("fail") })
  })
