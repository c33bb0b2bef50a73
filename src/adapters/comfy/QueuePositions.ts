import { Duration, Effect, Either, Option, PubSub, Queue, Ref, Schema, type Scope } from "effect"
import type { BackendError, Json } from "../../ports/Backend.js"

/**
 * Queue positions from OpenClaw's jobs read model (`GET /openclaw/jobs`, spec backend-and-delivery
 * §3.6). ComfyUI's websocket only broadcasts `status` with `queue_remaining` (no order), and
 * OpenClaw queues prompts under its own client id, so the connector sees no frames of a queued
 * prompt; the jobs list is the only place that says what runs before it.
 *
 * One process-wide fetcher serves every follower: a follower asks for a fresh snapshot
 * (`refresh`), requests coalesce, and each answer is published to every subscriber. Calls are
 * spaced by at least `intervalMillis` (1 s), or `unsupportedMillis` (60 s) after an answer saying
 * the host cannot serve the list at all (401/403/404/501), so a burst of `status` frames from many
 * followers costs one call per interval. `refreshNow` (the queue shrank: some prompt ended, and
 * the followers of ended prompts wait on this list to check their history) cuts the 1 s spacing
 * short, keeping only `urgentMillis` (100 ms) between calls: without it a finished prompt's
 * result waited up to a second behind the call a `status` frame had just made.
 *
 * A failed or malformed answer publishes `none` (positions stay unknown; followers that relied on
 * the list fall back to asking history) and is logged at debug level only: positions are a
 * nicety, never a reason to fail.
 */

const JobStatus = Schema.Literal("pending", "in_progress", "completed", "failed", "cancelled")

/** Timestamps may be missing (the backend leaves out null optional fields) or null. */
const OptionalNumber = Schema.optional(Schema.NullOr(Schema.Number))

/** Only the fields used here; extra fields (and extra top-level keys) are ignored. */
const Job = Schema.Struct({
  id: Schema.String,
  status: JobStatus,
  create_time: OptionalNumber,
  priority: OptionalNumber
})

const JobsBody = Schema.Struct({
  ok: Schema.Literal(true),
  contract_version: Schema.Literal(1),
  jobs: Schema.Array(Job)
})

export type JobsSnapshot = ReadonlyArray<typeof Job.Type>

export const decodeJobs: (body: Json) => Option.Option<JobsSnapshot> = (body) =>
  Option.map(Schema.decodeUnknownOption(JobsBody)(body), (b) => b.jobs)

/** Where a prompt stands in a snapshot. */
export type QueuePlace =
  /** Still queued; `ahead` jobs run or wait before it. */
  | { readonly _tag: "Waiting"; readonly ahead: number }
  | { readonly _tag: "Running" }
  | { readonly _tag: "Ended" }
  /** Not listed, or the order cannot be told (a missing create_time). */
  | { readonly _tag: "Unknown" }

const unknown: QueuePlace = { _tag: "Unknown" }

const isActive = (status: string) => status === "pending" || status === "in_progress"

/**
 * The place of `promptId` (its first listing) in `jobs` (pure). Ahead of a pending prompt are
 * every `in_progress` job (it holds the executor, whenever it was queued) and every other
 * `pending` job created before it: by `create_time`, ties by `priority` (ComfyUI's queue number)
 * when both have one, else by order in the list.
 */
export const queuePlace = (promptId: string, jobs: JobsSnapshot): QueuePlace => {
  const index = jobs.findIndex((j) => j.id === promptId)
  const me = jobs[index]
  if (me === undefined) return unknown
  if (me.status === "in_progress") return { _tag: "Running" }
  if (me.status !== "pending") return { _tag: "Ended" }
  const created = me.create_time
  if (created === undefined || created === null) return unknown
  let ahead = 0
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i]!
    if (job.id === promptId || !isActive(job.status)) continue
    if (job.status === "in_progress") {
      ahead++
      continue
    }
    const time = job.create_time
    if (time === undefined || time === null) return unknown
    const before = time !== created
      ? time < created
      : typeof job.priority === "number" && typeof me.priority === "number" && job.priority !== me.priority
      ? job.priority < me.priority
      : i < index
    if (before) ahead++
  }
  return { _tag: "Waiting", ahead }
}

export interface QueuePositions {
  /** Ask for a snapshot taken after this call (coalesced, throttled); returns at once. */
  readonly refresh: Effect.Effect<void>
  /** `refresh` for a prompt's end: coalesced, but spaced by `urgentMillis` only; returns at once. */
  readonly refreshNow: Effect.Effect<void>
  /** Every answer as it arrives, for as long as the scope lasts: a snapshot, or none when the call failed. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<Option.Option<JobsSnapshot>>, never, Scope.Scope>
  /**
   * Whether the last call gave a usable list (false before the first one): only then can a
   * follower wait for the list to tell it its prompt ended, instead of asking history itself.
   */
  readonly usable: Effect.Effect<boolean>
}

export interface QueuePositionsTiming {
  /** Least time between two jobs calls (default 1 s). */
  readonly intervalMillis: number
  /** Wait after an answer saying the host cannot list jobs (default 60 s). */
  readonly unsupportedMillis: number
  /** Least time between two calls when a prompt ended (default 100 ms). */
  readonly urgentMillis?: number
}

export const DEFAULT_QUEUE_POSITIONS_TIMING: QueuePositionsTiming = {
  intervalMillis: 1_000,
  unsupportedMillis: 60_000,
  urgentMillis: 100
}

/** Statuses after which asking again soon is pointless: no such route, no access, no host support. */
const UNSUPPORTED = new Set([401, 403, 404, 405, 501])

/** The fetcher; its fiber lives in the caller's scope and calls the backend only when asked. */
export const makeQueuePositions = (
  jobs: Effect.Effect<Json, BackendError>,
  timing: QueuePositionsTiming = DEFAULT_QUEUE_POSITIONS_TIMING
): Effect.Effect<QueuePositions, never, Scope.Scope> =>
  Effect.gen(function*() {
    const wake = yield* Queue.sliding<void>(1)
    const urgent = yield* Queue.sliding<void>(1)
    const urgentMillis = timing.urgentMillis ?? 100
    const snapshots = yield* Effect.acquireRelease(PubSub.sliding<Option.Option<JobsSnapshot>>(8), PubSub.shutdown)
    const usable = yield* Ref.make(false)
    const publish = (answer: Option.Option<JobsSnapshot>) =>
      Effect.zipRight(Ref.set(usable, Option.isSome(answer)), PubSub.publish(snapshots, answer))

    /** One call: the wait before the next one. */
    const fetchOnce: Effect.Effect<number> = jobs.pipe(
      Effect.either,
      Effect.flatMap(Either.match({
        onLeft: (error) => {
          const status = error.status === undefined ? "" : ` ${error.status}`
          return Effect.logDebug(`jobs list for queue positions not read (${error.reason}${status}); positions stay unknown`).pipe(
            Effect.zipRight(publish(Option.none())),
            Effect.as(error.status !== undefined && UNSUPPORTED.has(error.status) ? timing.unsupportedMillis : timing.intervalMillis)
          )
        },
        onRight: (body) => {
          const snapshot = decodeJobs(body)
          const logged = Option.isNone(snapshot) ? Effect.logDebug("jobs list for queue positions malformed; positions stay unknown") : Effect.void
          return Effect.as(Effect.zipRight(logged, publish(snapshot)), timing.intervalMillis)
        }
      })),
      // A defect here must not end the fetcher (and never reaches a follower).
      Effect.catchAllDefect((defect) =>
        Effect.logDebug("jobs list for queue positions failed unexpectedly", defect).pipe(
          Effect.zipRight(publish(Option.none())),
          Effect.as(timing.intervalMillis)
        )
      )
    )

    /**
     * The pause after a call: the full wait, unless an urgent ask arrives first (never after an
     * "unsupported" answer). Tells whether it was cut short by one (a call is then due).
     */
    const pause = (wait: number): Effect.Effect<boolean> =>
      wait >= timing.unsupportedMillis
        ? Effect.as(Effect.sleep(Duration.millis(wait)), false)
        : Effect.raceFirst(
          Effect.as(Effect.sleep(Duration.millis(wait)), false),
          Effect.as(Effect.zipRight(Queue.take(urgent), Effect.sleep(Duration.millis(Math.min(urgentMillis, wait)))), true)
        )

    yield* Effect.forkScoped(Effect.gen(function*() {
      let due = false
      while (true) {
        if (!due) yield* Effect.raceFirst(Queue.take(wake), Queue.take(urgent))
        // Urgent asks made before this call are answered by it: no second call for one burst.
        yield* Queue.takeAll(urgent)
        due = yield* pause(yield* fetchOnce)
      }
    }))

    return {
      refresh: Effect.asVoid(wake.offer(undefined)),
      refreshNow: Effect.asVoid(urgent.offer(undefined)),
      subscribe: PubSub.subscribe(snapshots),
      usable: Ref.get(usable)
    }
  })
