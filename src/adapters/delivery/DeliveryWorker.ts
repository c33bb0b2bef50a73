import { Cause, Context, Duration, Effect, FiberMap, Layer, Schedule } from "effect"
import { followEntry, type FollowServices } from "../../domain/delivery/Follow.js"
import { DEFAULT_MAX_AGE_MILLIS, type DeliverySettings } from "../../domain/delivery/Timing.js"
import type { Backend } from "../../ports/Backend.js"
import type { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { ComfyEvents } from "../../ports/ComfyEvents.js"
import { DeliveryQueue } from "../../ports/DeliveryQueue.js"
import { JobLedger } from "../../ports/JobLedger.js"
import type { MediaStore } from "../../ports/MediaStore.js"

export interface DeliveryWorkerOptions {
  /** `config.delivery`: OPENCLAW_CONNECTOR_DELIVERY_MAX_IMAGES / _MAX_BYTES / _TIMEOUT_SEC. */
  readonly maxImages: number
  readonly maxBytes: number
  readonly timeoutSec: number
  /** Delivery attempts run at once; the others wait their turn (default 100). Backoffs and approval polls do not count. */
  readonly concurrency?: number
  /** An entry still open this long after it was recorded ends as failed (default 24 h). */
  readonly maxAgeMillis?: number
  /** How often the ledger is swept for open entries nobody follows (default 60 s). */
  readonly sweepIntervalMillis?: number
}

export type DeliveryWorkerRequirements = JobLedger | ComfyEvents | ChatDeliveries | MediaStore | Backend

const DEFAULT_CONCURRENCY = 100
const DEFAULT_SWEEP_MILLIS = 60_000

/**
 * The delivery worker: follows every open ledger entry to a terminal state (domain/delivery).
 * On start it resumes every unfinished entry; handlers hand it new ones through the DeliveryQueue
 * it provides; a periodic sweep picks up anything else still open (an entry recorded by a process
 * without the queue, a follower that died). One follower per entry id at a time; at most
 * `concurrency` of them attempt a delivery (follow a job, send) at once, while waiting between
 * attempts or for an approval takes no permit. Closing the layer interrupts the followers; their entries stay open in
 * the ledger and resume on the next start (receipts make sure nothing is sent twice).
 */
export const DeliveryWorkerLive = (options: DeliveryWorkerOptions): Layer.Layer<DeliveryQueue, never, DeliveryWorkerRequirements> =>
  Layer.scoped(
    DeliveryQueue,
    Effect.gen(function*() {
      const settings: DeliverySettings = {
        maxImages: options.maxImages,
        maxBytes: options.maxBytes,
        timeoutSec: options.timeoutSec,
        maxAgeMillis: options.maxAgeMillis ?? DEFAULT_MAX_AGE_MILLIS
      }
      const ports = yield* Effect.context<DeliveryWorkerRequirements>()
      const ledger = yield* JobLedger
      const followers = yield* FiberMap.make<string>()
      const permits = yield* Effect.makeSemaphore(options.concurrency ?? DEFAULT_CONCURRENCY)

      const follow = (entryId: string, services: Context.Context<FollowServices>) =>
        // The permit is taken per attempt inside the follower, so an entry waiting out a backoff
        // or polling an approval for hours never keeps another entry from being delivered.
        followEntry(entryId, settings, permits.withPermits(1)).pipe(
          Effect.provide(services),
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.void
              : Effect.logError("delivery follower stopped unexpectedly; the entry stays open for the next sweep", cause)
          ),
          Effect.annotateLogs({ delivery: entryId })
        )

      const queue: Context.Tag.Service<DeliveryQueue> = DeliveryQueue.of({
        // `exit`: after shutdown the map refuses new fibers by interrupting; the caller must not be.
        enqueue: (entryId) =>
          FiberMap.run(followers, entryId, follow(entryId, Context.add(ports, DeliveryQueue, queue)), { onlyIfMissing: true }).pipe(
            Effect.exit,
            Effect.asVoid
          )
      })

      const sweep = ledger.unfinished.pipe(
        Effect.flatMap((entries) => Effect.forEach(entries, (entry) => queue.enqueue(entry.id), { discard: true })),
        Effect.catchTag("StoreError", (error) => Effect.logError("delivery sweep could not read the ledger", error.reason))
      )
      // The first sweep resumes everything left open by the previous run.
      yield* Effect.forkScoped(
        Effect.repeat(sweep, Schedule.spaced(Duration.millis(options.sweepIntervalMillis ?? DEFAULT_SWEEP_MILLIS)))
      )
      yield* Effect.logInfo("Delivery worker started")
      return queue
    })
  )
