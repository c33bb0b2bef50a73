import { Clock, Effect, Either, Option } from "effect"
import type { Backend } from "../../ports/Backend.js"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { ComfyEvents } from "../../ports/ComfyEvents.js"
import type { DeliveryQueue } from "../../ports/DeliveryQueue.js"
import { isOpenLedgerState, JobLedger, type LedgerEntry, type LedgerState } from "../../ports/JobLedger.js"
import type { MediaStore } from "../../ports/MediaStore.js"
import { recordAndHandOver } from "../handlers/Ledger.js"
import { type ApprovalOutcome, approvalDelivery, awaitApproval } from "./Approval.js"
import { DeliveryTexts } from "./DeliveryTexts.js"
import { awaitJob, type JobOutcome, jobDelivery } from "./Job.js"
import { deliverItems } from "./Ladder.js"
import { type DeliveryContext, DeliveryPaused, type Item, type ItemResult, pauseOnStore, TextItem } from "./Model.js"
import { makeProgress } from "./Progress.js"
import { type DeliverySettings, retryDelayMillis, tooOld } from "./Timing.js"

/** Every port a delivery follower uses (the queue takes the job an approval turned into). */
export type FollowServices = JobLedger | ComfyEvents | ChatDeliveries | MediaStore | Backend | DeliveryQueue

/**
 * Runs one attempt's work under the worker's concurrency limit (a semaphore's `withPermits(1)`).
 * It wraps only the attempt itself: never the backoff sleep between attempts, nor the approval
 * polling, which can each last hours and would otherwise hold a permit other entries need.
 */
export type WithPermit = <A, E, R>(attempt: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const unlimited: WithPermit = (attempt) => attempt

/** What a follower learnt before delivering, kept across retries in one process. */
interface Learnt {
  approval?: ApprovalOutcome
  job?: JobOutcome
}

const platformFor = (entry: LedgerEntry) =>
  Effect.flatMap(ChatDeliveries, (deliveries) => deliveries.forPlatform(entry.target.platform)).pipe(
    Effect.flatMap(Option.match({
      onNone: () =>
        Effect.fail(new DeliveryPaused({ reason: "platform-missing", message: `${entry.target.platform} is not running` })),
      onSome: Effect.succeed
    }))
  )

/** The entry's terminal state; `failed` whenever some item could not even be announced. */
const finish = (entry: LedgerEntry, state: LedgerState, results: ReadonlyArray<ItemResult>) =>
  Effect.gen(function*() {
    const ledger = yield* JobLedger
    const untold = results.includes("failed")
    const final: LedgerState = untold ? "failed" : state
    if (untold) yield* Effect.logError("delivery ended without the user being told", entry.id, entry.target.platform)
    yield* pauseOnStore(ledger.advance(entry.id, final, yield* Clock.currentTimeMillis))
    yield* Effect.logInfo("delivery finished", entry.id, final)
  })

const deliver = (ctx: DeliveryContext, items: ReadonlyArray<Item>) =>
  Effect.gen(function*() {
    const results = yield* deliverItems(ctx, items)
    const interrupted = items.flatMap((item, i) =>
      item._tag === "Image" && results[i] === "possibly-delivered" ? [item.view.filename] : []
    )
    if (interrupted.length > 0) {
      // One short note per entry; it is an item too, so it is never sent twice either.
      yield* deliverItems(ctx, [{ _tag: "Text", index: TextItem.possiblyDelivered, text: DeliveryTexts.possiblyDelivered(interrupted) }])
    }
    return results
  })

/**
 * Approved with a prompt: the job becomes its own entry `job:<prompt_id>` for the requester's
 * chat and the approval entry ends. Recording keeps the first record of a prompt id, so a job
 * already recorded (e.g. by `/approve`) is delivered once, where it was recorded first.
 */
const handOver = (entry: LedgerEntry, promptId: string) =>
  Effect.gen(function*() {
    const ledger = yield* JobLedger
    const jobId = `job:${promptId}`
    yield* pauseOnStore(recordAndHandOver("job", promptId, entry.target, entry.inboundEventKey, entry.templateId))
    yield* pauseOnStore(ledger.advance(entry.id, "delivered", yield* Clock.currentTimeMillis))
    yield* Effect.logInfo("approval executed; following its job", entry.id, jobId)
  })

/** An approval's attempt, once its outcome is known (the polling runs before, without a permit). */
const attemptApproval = (entry: LedgerEntry, settings: DeliverySettings, outcome: ApprovalOutcome) =>
  Effect.gen(function*() {
    if (outcome._tag === "Executed") return yield* handOver(entry, outcome.promptId)
    const platform = yield* platformFor(entry)
    const { items, state } = approvalDelivery(entry.ref, outcome)
    yield* finish(entry, state, yield* deliver({ entry, platform, settings }, items))
  })

const attemptJob = (entry: LedgerEntry, settings: DeliverySettings, learnt: Learnt) =>
  Effect.gen(function*() {
    // Wait for the platform before following: progress shown while it is not registered yet (a
    // job resumed at start, before the bot is up) would be lost, the status message never sent.
    if (learnt.job === undefined) yield* platformFor(entry)
    const progress = yield* makeProgress(entry)
    const outcome = learnt.job ?? (yield* awaitJob(entry, settings, progress))
    learnt.job = outcome
    const platform = yield* platformFor(entry)
    const { items, state, status } = jobDelivery(entry.ref, outcome, settings.maxImages)
    const results = yield* deliver({ entry, platform, settings }, items)
    yield* progress.finish(status)
    yield* finish(entry, state, results)
  })

/**
 * Past the maximum age: tell the user if the platform takes it, end as failed, log. An entry found
 * long after that (the connector was down for days, or the ledger predates the worker) is ended
 * without a message: a burst of notices about stale requests helps nobody.
 */
const giveUp = (entry: LedgerEntry, settings: DeliverySettings) =>
  Effect.gen(function*() {
    yield* Effect.logError("delivery given up: the entry outlived its maximum age", entry.id, entry.target.platform, entry.attempts)
    const stale = (yield* Clock.currentTimeMillis) - entry.createdAtMillis >= 2 * settings.maxAgeMillis
    const told = yield* Effect.either(stale ? Effect.void : Effect.flatMap(platformFor(entry), (platform) =>
      deliverItems({ entry, platform, settings }, [{
        _tag: "Text",
        index: TextItem.givenUp,
        text: DeliveryTexts.givenUp(entry.kind, entry.ref)
      }])))
    if (Either.isLeft(told)) yield* Effect.logWarning("the user could not be told", entry.id, told.left.reason)
    const ledger = yield* JobLedger
    yield* pauseOnStore(ledger.advance(entry.id, "failed", yield* Clock.currentTimeMillis))
  })

/**
 * Follows one ledger entry until it is terminal. Each attempt is counted in the ledger; a paused
 * attempt (platform missing or unavailable, ComfyUI unreachable for /view, ledger unwritable)
 * waits 2, 4, 8 ... 60 s and tries again from where the receipts say it got. An entry still open
 * after `maxAgeMillis` ends as failed. Interrupting the follower leaves the entry open; the next
 * start resumes it. An entry that is unknown or already terminal is left alone. `withPermit`
 * wraps each attempt's work (see WithPermit); waits between attempts and approval polling run
 * outside it.
 */
export const followEntry = Effect.fn("Delivery.followEntry")(function*(
  entryId: string,
  settings: DeliverySettings,
  withPermit: WithPermit = unlimited
) {
  const ledger = yield* JobLedger
  const learnt: Learnt = {}
  let pauses = 0
  while (true) {
    const step = yield* Effect.either(Effect.gen(function*() {
      const found = yield* pauseOnStore(ledger.get(entryId))
      if (Option.isNone(found) || !isOpenLedgerState(found.value.state)) return
      const entry = found.value
      if (tooOld(entry.createdAtMillis, yield* Clock.currentTimeMillis, settings)) return yield* withPermit(giveUp(entry, settings))
      const platform = yield* Effect.flatMap(ChatDeliveries, (d) => d.forPlatform(entry.target.platform))
      if (Option.isSome(platform) && platform.value.pushes === false) {
        // Following would only poll the backend for a result nobody can be sent.
        yield* Effect.logInfo(`${entry.target.platform} cannot receive results later; ${entry.id} is not followed`)
        yield* pauseOnStore(ledger.advance(entryId, "failed", yield* Clock.currentTimeMillis))
        return
      }
      yield* pauseOnStore(ledger.countAttempt(entryId, yield* Clock.currentTimeMillis))
      if (entry.kind === "job") return yield* withPermit(attemptJob(entry, settings, learnt))
      const outcome = learnt.approval ?? (yield* awaitApproval(entry, settings))
      learnt.approval = outcome
      yield* withPermit(attemptApproval(entry, settings, outcome))
    }))
    if (Either.isRight(step)) return
    pauses += 1
    // Every pause is logged, but only the first and every tenth at info: a platform that stays
    // away for hours must not flood the log.
    const log = pauses === 1 || pauses % 10 === 0 ? Effect.logInfo : Effect.logDebug
    yield* log("delivery paused; retrying later", entryId, step.left.reason, step.left.message, `pause ${pauses}`)
    yield* Effect.sleep(retryDelayMillis(pauses))
  }
})
