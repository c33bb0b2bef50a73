import { Clock, Effect, Either, Option, Stream } from "effect"
import type { ViewRequest } from "../../ports/Backend.js"
import { ComfyEvents, isTerminalSignal } from "../../ports/ComfyEvents.js"
import type { LedgerEntry, LedgerState } from "../../ports/JobLedger.js"
import { DeliveryTexts } from "./DeliveryTexts.js"
import { type Item, TextItem } from "./Model.js"
import type { Progress } from "./Progress.js"
import { type DeliverySettings, jobDeadline, REFOLLOW_PAUSE_MILLIS } from "./Timing.js"

/** How a followed job ended, as far as the connector could learn. */
export type JobOutcome =
  | { readonly _tag: "Succeeded"; readonly images: ReadonlyArray<ViewRequest> }
  | { readonly _tag: "Failed"; readonly message: string }
  | { readonly _tag: "TimedOut" }
  | { readonly _tag: "NotFollowable" }

/**
 * Follows the job's ComfyUI signals until a terminal one or its deadline (DELIVERY_TIMEOUT_SEC
 * after the entry was recorded; a resumed job gets a short grace, so one that finished while the
 * connector was down is still found in history). A stream that ends without a terminal signal
 * is followed again until the deadline. Every running signal goes to `progress`.
 */
export const awaitJob = (entry: LedgerEntry, settings: DeliverySettings, progress: Progress) =>
  Effect.gen(function*() {
    const comfy = yield* ComfyEvents
    const deadline = jobDeadline(entry.createdAtMillis, settings.timeoutSec, yield* Clock.currentTimeMillis)
    while (true) {
      const followed = yield* comfy.follow(entry.ref, { deadlineMillis: deadline }).pipe(
        Stream.tap(progress.onSignal),
        Stream.filter(isTerminalSignal),
        Stream.runHead,
        Effect.either
      )
      if (Either.isLeft(followed)) {
        return followed.left.reason === "timeout" ? { _tag: "TimedOut" } as const : { _tag: "NotFollowable" } as const
      }
      if (Option.isSome(followed.right)) {
        const signal = followed.right.value
        if (signal._tag === "Succeeded") return { _tag: "Succeeded", images: signal.images } as const
        if (signal._tag === "Failed") return { _tag: "Failed", message: signal.message } as const
      }
      const now = yield* Clock.currentTimeMillis
      if (now >= deadline) return { _tag: "TimedOut" } as const
      yield* Effect.sleep(Math.min(REFOLLOW_PAUSE_MILLIS, deadline - now))
    }
  })

/** What the user gets for an outcome, and the state the entry ends in once it got it (pure). */
export const jobDelivery = (
  jobId: string,
  outcome: JobOutcome,
  maxImages: number
): { readonly items: ReadonlyArray<Item>; readonly state: LedgerState; readonly status: string } => {
  switch (outcome._tag) {
    case "Succeeded": {
      const images = outcome.images.slice(0, maxImages)
      const items: ReadonlyArray<Item> = images.length === 0
        ? [{ _tag: "Text", index: TextItem.noImages, text: DeliveryTexts.noImages(jobId) }]
        : images.map((view, index) => ({ _tag: "Image", index, view }))
      return { items, state: "delivered", status: DeliveryTexts.done(jobId) }
    }
    case "Failed":
      return {
        items: [{ _tag: "Text", index: TextItem.jobFailed, text: DeliveryTexts.jobFailed(jobId, outcome.message) }],
        state: "failed",
        status: DeliveryTexts.failed(jobId)
      }
    case "TimedOut":
      return {
        items: [{ _tag: "Text", index: TextItem.jobTimedOut, text: DeliveryTexts.jobTimedOut(jobId) }],
        state: "expired",
        status: DeliveryTexts.timedOut(jobId)
      }
    case "NotFollowable":
      return {
        items: [{ _tag: "Text", index: TextItem.notFollowable, text: DeliveryTexts.jobNotFollowable(jobId) }],
        state: "failed",
        status: DeliveryTexts.failed(jobId)
      }
  }
}
