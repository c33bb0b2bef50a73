import type { SqlClient } from "@effect/sql"
import { Cause, Chunk, Clock, Deferred, Effect, Queue, Schema, type Scope } from "effect"
import { type ClaimOutcome, ReplayStore } from "../../../ports/ReplayStore.js"
import { StoreError } from "../../../ports/StoreError.js"
import { clampTtl, normalizeKey, type Transition } from "../ReplayLifecycle.js"
import {
  type ClaimOp,
  claimQuery,
  laterClaimOutcome,
  transitionQuery,
  type TransitionOp,
  transitionSegments,
  uniqueByKey
} from "./ReplayBatch.js"
import { refail } from "./sqlErrors.js"

/** Expired rows deleted per purge: bounded work, run at most once a second. */
const PURGE_BATCH = 5_000
const PURGE_INTERVAL_MILLIS = 1_000
/** Operations per transaction (SQLite allows 32766 bound parameters; a claim uses 3). */
const MAX_BATCH = 500

const ClaimRows = Schema.Array(Schema.Struct({
  key: Schema.String,
  last_outcome: Schema.Literal(
    "claimed",
    "retry_claimed",
    "duplicate_in_flight",
    "duplicate_after_success",
    "duplicate_after_terminal_failure"
  )
}))
const decodeClaimRows = Schema.decodeUnknown(ClaimRows)

type Job =
  | { readonly _tag: "claim"; readonly op: ClaimOp; readonly done: Deferred.Deferred<ClaimOutcome, StoreError> }
  | { readonly _tag: "transition"; readonly op: TransitionOp; readonly done: Deferred.Deferred<void, StoreError> }

/** Resumes after the current poll phase, so every request read in this loop turn joins the batch. */
const afterIoCallbacks = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

const asStoreError = (cause: Cause.Cause<unknown>): StoreError => {
  const failure = Cause.failureOption(cause)
  return failure._tag === "Some" && failure.value instanceof StoreError
    ? failure.value
    : new StoreError({ reason: "unavailable", operation: "replay-batch", cause: Cause.squash(cause) })
}

/**
 * ReplayStore over SQLite with group commit. Every claim and transition queued during one turn of
 * the event loop is written in one transaction: transitions first (they belong to claims of
 * earlier batches), then one multi-row upsert for all claims. Each caller resumes only after that
 * transaction committed, so a claim is durable (WAL) before its command runs. A failed
 * transaction fails every operation of its batch; an unknown row state answers `corrupt`.
 */
export const makeReplayStoreSqlite = (sql: SqlClient.SqlClient): Effect.Effect<ReplayStore["Type"], never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Job>()
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))
    let lastPurgeAt = Number.NEGATIVE_INFINITY

    const purge = (now: number) => {
      if (now - lastPurgeAt < PURGE_INTERVAL_MILLIS && now >= lastPurgeAt) return Effect.void
      lastPurgeAt = now
      return Effect.asVoid(sql`DELETE FROM replay_claims WHERE key IN (
        SELECT key FROM replay_claims WHERE expires_at <= ${now} LIMIT ${PURGE_BATCH})`)
    }

    const write = (jobs: ReadonlyArray<Job>) =>
      Effect.gen(function*() {
        const transitions = jobs.flatMap((j) => (j._tag === "transition" ? [j.op] : []))
        for (const segment of transitionSegments(transitions)) {
          for (const name of ["commit", "release", "fail"] as const) {
            const ops = segment.filter((op) => op.transition === name)
            if (ops.length > 0) {
              const q = transitionQuery(name, ops)
              yield* sql.unsafe(q.text, q.params)
            }
          }
        }
        const claims = uniqueByKey(jobs.flatMap((j) => (j._tag === "claim" ? [j.op] : [])))
        const outcomes = new Map<string, ClaimOutcome>()
        if (claims.length > 0) {
          const q = claimQuery(claims)
          for (const row of yield* decodeClaimRows(yield* sql.unsafe(q.text, q.params))) {
            outcomes.set(row.key, row.last_outcome)
          }
        }
        yield* purge(Math.max(...jobs.map((j) => j.op.now)))
        return outcomes
      })

    const settle = (jobs: ReadonlyArray<Job>, outcomes: ReadonlyMap<string, ClaimOutcome>) =>
      Effect.gen(function*() {
        const judged = new Set<string>()
        for (const job of jobs) {
          if (job._tag === "transition") {
            yield* Deferred.succeed(job.done, undefined)
            continue
          }
          const first = outcomes.get(job.op.key)
          if (first === undefined) {
            yield* Deferred.fail(job.done, new StoreError({ reason: "corrupt", operation: "claim" }))
          } else {
            yield* Deferred.succeed(job.done, judged.has(job.op.key) ? laterClaimOutcome(first) : first)
            judged.add(job.op.key)
          }
        }
      })

    const flush = (jobs: ReadonlyArray<Job>) =>
      sql.withTransaction(write(jobs)).pipe(
        refail("replay-batch"),
        Effect.matchCauseEffect({
          onFailure: (cause) =>
            Effect.forEach(jobs, (job) =>
              job._tag === "claim"
                ? Deferred.fail(job.done, asStoreError(cause))
                : Deferred.fail(job.done, asStoreError(cause))),
          onSuccess: (outcomes) => settle(jobs, outcomes)
        })
      )

    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      const first = yield* Queue.take(queue)
      yield* afterIoCallbacks
      const rest = yield* Queue.takeUpTo(queue, MAX_BATCH - 1)
      yield* flush([first, ...Chunk.toReadonlyArray(rest)])
    })))

    const enqueue = <A>(make: (done: Deferred.Deferred<A, StoreError>) => Job) =>
      Effect.flatMap(Deferred.make<A, StoreError>(), (done) => Effect.zipRight(Queue.offer(queue, make(done)), Deferred.await(done)))

    const claim = (key: string, ttlMillis: number) =>
      Effect.gen(function*() {
        const k = yield* normalizeKey(key, "claim")
        const now = yield* Clock.currentTimeMillis
        return yield* enqueue<ClaimOutcome>((done) => ({
          _tag: "claim",
          op: { key: k, now, expiresAt: now + clampTtl(ttlMillis) },
          done
        }))
      })

    const transition = (name: Transition) => (key: string, ttlMillis: number) =>
      Effect.gen(function*() {
        const k = yield* normalizeKey(key, name)
        const now = yield* Clock.currentTimeMillis
        return yield* enqueue<void>((done) => ({
          _tag: "transition",
          op: { key: k, now, expiresAt: now + clampTtl(ttlMillis), transition: name },
          done
        }))
      })

    return ReplayStore.of({
      claim,
      commit: transition("commit"),
      release: transition("release"),
      fail: transition("fail")
    })
  })
