import type { SqlClient } from "@effect/sql"
import { Cause, Chunk, Deferred, Effect, Queue, type Scope } from "effect"
import { StoreError } from "../../../ports/StoreError.js"

/**
 * Group commit: operations queued during one turn of the event loop run in a single SQLite
 * transaction, and each caller resumes only after that transaction committed. Durability per
 * operation is unchanged (nothing is acknowledged before its commit); what is shared is the cost
 * of the commit itself, which dominates small writes such as replay claims.
 * A failed transaction fails every operation of its batch (fail closed).
 */
export type Enlist = <A>(operation: Effect.Effect<A, StoreError>) => Effect.Effect<A, StoreError>

interface Job {
  readonly run: Effect.Effect<unknown, StoreError>
  readonly done: Deferred.Deferred<unknown, StoreError>
}

/** Resumes after the current poll phase, so requests read in this loop turn join the batch. */
const afterIoCallbacks = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

const batchFailed = (cause: Cause.Cause<unknown>) => {
  const failure = Cause.failureOption(cause)
  return failure._tag === "Some" && failure.value instanceof StoreError
    ? failure.value
    : new StoreError({ reason: "unavailable", operation: "group-commit", cause: Cause.squash(cause) })
}

export const makeGroupCommit = (sql: SqlClient.SqlClient): Effect.Effect<Enlist, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<Job>()
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))

    const flush = (batch: ReadonlyArray<Job>) =>
      sql.withTransaction(Effect.forEach(batch, (job) => Effect.either(job.run))).pipe(
        Effect.matchCauseEffect({
          onFailure: (cause) => Effect.forEach(batch, (job) => Deferred.fail(job.done, batchFailed(cause))),
          onSuccess: (results) =>
            Effect.forEach(batch, (job, i) => Deferred.complete(job.done, results[i]!))
        })
      )

    const loop = Effect.gen(function*() {
      const first = yield* Queue.take(queue)
      yield* afterIoCallbacks
      const rest = yield* Queue.takeAll(queue)
      yield* flush([first, ...Chunk.toReadonlyArray(rest)])
    })
    yield* Effect.forkScoped(Effect.forever(loop))

    return <A>(operation: Effect.Effect<A, StoreError>) =>
      Effect.flatMap(Deferred.make<unknown, StoreError>(), (done) =>
        Effect.zipRight(Queue.offer(queue, { run: operation, done }), Deferred.await(done) as Effect.Effect<A, StoreError>))
  })
