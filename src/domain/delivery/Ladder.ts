import { Clock, Effect, Either } from "effect"
import { Backend, type ViewRequest } from "../../ports/Backend.js"
import type { DeliveryError, DeliveryImage, DeliveryReceipt, DeliveryRung } from "../../ports/ChatDelivery.js"
import { type ItemOutcome, type ItemReceipt, JobLedger } from "../../ports/JobLedger.js"
import { MediaStore } from "../../ports/MediaStore.js"
import { DeliveryTexts } from "./DeliveryTexts.js"
import { type DeliveryContext, DeliveryPaused, type Item, type ItemResult, pauseOnStore } from "./Model.js"

const FINAL: ReadonlyArray<ItemOutcome> = ["sent", "possibly-delivered", "failed"]
const PENDING: ReadonlyArray<ItemOutcome> = ["attempt", "unknown"]
const LADDER: ReadonlyArray<DeliveryRung> = ["image", "document", "link", "text"]

export interface ItemHistory {
  /** How the item ended in an earlier run, if it did. */
  readonly final: ItemResult | undefined
  /** The rung of a send whose outcome is unknown (the last record is `attempt` or `unknown`). */
  readonly unknownRung: DeliveryRung | undefined
  /**
   * The rung the platform last answered `unavailable` on (the last record): a retry resumes there,
   * since the rungs above it already refused the item and would only be refused (and re-uploaded)
   * again.
   */
  readonly unavailableRung: DeliveryRung | undefined
}

/** What the receipts say about one item (pure). */
export const itemHistory = (receipts: ReadonlyArray<ItemReceipt>, index: number): ItemHistory => {
  const rows = receipts.filter((r) => r.itemIndex === index)
  const final = rows.find((r) => FINAL.includes(r.outcome))?.outcome as ItemResult | undefined
  const last = rows.at(-1)
  return {
    final,
    unknownRung: last !== undefined && PENDING.includes(last.outcome) ? last.rung : undefined,
    unavailableRung: last?.outcome === "unavailable" ? last.rung : undefined
  }
}

/** The content type users' apps get for a ComfyUI filename (by extension; octet-stream otherwise). */
export const contentTypeOf = (filename: string): string => {
  const ext = filename.slice(filename.lastIndexOf(".") + 1).toLowerCase()
  const known: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif" }
  return filename.includes(".") && Object.prototype.hasOwnProperty.call(known, ext) ? known[ext]! : "application/octet-stream"
}

/** The idempotency key of an item: stable across rungs, retries and restarts. */
export const idempotencyKey = (entryId: string, index: number): string => `${entryId}:${index}`

const mark = (ctx: DeliveryContext, index: number, rung: DeliveryRung, outcome: ItemOutcome, platformRef = "") =>
  Effect.flatMap(Clock.currentTimeMillis, (atMillis) =>
    Effect.flatMap(JobLedger, (ledger) =>
      pauseOnStore(ledger.recordReceipt({ entryId: ctx.entry.id, itemIndex: index, rung, outcome, platformRef, atMillis }))))

type Step = "sent" | "refused" | "possibly-delivered"

/**
 * One send on one rung: the `attempt` marker is durable before the platform is called and the
 * outcome is written after, so a process that stops in between leaves an unknown outcome behind,
 * never a silent gap. Refusals move down the ladder; `unavailable` pauses the entry; an unknown
 * outcome is resent later only where sends are idempotent, else it is final as possibly delivered.
 */
const sendOnRung = (
  ctx: DeliveryContext,
  index: number,
  rung: DeliveryRung,
  send: (key: string) => Effect.Effect<DeliveryReceipt, DeliveryError>
): Effect.Effect<Step, DeliveryPaused, JobLedger> =>
  Effect.gen(function*() {
    yield* mark(ctx, index, rung, "attempt")
    const result = yield* Effect.either(send(idempotencyKey(ctx.entry.id, index)))
    if (Either.isRight(result)) {
      yield* mark(ctx, index, rung, "sent", result.right.platformRef)
      return "sent" as const
    }
    const error = result.left
    switch (error.reason) {
      case "too-large":
      case "unsupported":
      case "rejected":
        yield* Effect.logInfo("delivery rung refused; trying the next", rung, error.reason)
        yield* mark(ctx, index, rung, "refused")
        return "refused" as const
      case "unavailable":
        yield* mark(ctx, index, rung, "unavailable")
        return yield* new DeliveryPaused({ reason: "platform-unavailable", message: `${rung}: ${error.message}` })
      case "unknown-outcome":
        yield* mark(ctx, index, rung, "unknown")
        if (ctx.platform.idempotentSends) {
          return yield* new DeliveryPaused({ reason: "unknown-outcome", message: `${rung}: ${error.message}` })
        }
        yield* mark(ctx, index, rung, "possibly-delivered")
        return "possibly-delivered" as const
    }
  })

const sendText = (ctx: DeliveryContext, index: number, text: string, rung: "text" | "link" = "text") =>
  sendOnRung(ctx, index, rung, (key) => ctx.platform.sendText(ctx.entry.target, text, key))

/** The last rung; when even the notice is refused, the item has failed and the user was not told. */
const textRung = (ctx: DeliveryContext, index: number, text: string) =>
  Effect.flatMap(sendText(ctx, index, text), (step): Effect.Effect<ItemResult, DeliveryPaused, JobLedger> =>
    step === "refused" ? Effect.as(mark(ctx, index, "text", "failed"), "failed") : Effect.succeed(step))

/** The link rung: the image in the MediaStore, its signed URL as text. The URL is never logged. */
const linkRung = (ctx: DeliveryContext, index: number, image: DeliveryImage) =>
  Effect.gen(function*() {
    const media = yield* MediaStore
    const stored = yield* Effect.either(media.put(image))
    if (Either.isLeft(stored)) {
      yield* Effect.logInfo("delivery link rung unavailable; trying the next", stored.left.reason)
      yield* mark(ctx, index, "link", "refused")
      return "refused" as const
    }
    return yield* sendText(ctx, index, DeliveryTexts.imageLink(image.filename, stored.right.url), "link")
  })

const fetchImage = (ctx: DeliveryContext, view: ViewRequest) =>
  Effect.gen(function*() {
    const backend = yield* Backend
    const fetched = yield* Effect.either(backend.view(view))
    if (Either.isLeft(fetched)) {
      if (fetched.left.reason === "unreachable") {
        return yield* new DeliveryPaused({ reason: "backend-unreachable", message: fetched.left.message })
      }
      yield* Effect.logWarning("image could not be fetched from /view", view.filename, fetched.left.reason, fetched.left.status)
      return "failed" as const
    }
    const bytes = fetched.right
    if (bytes.length === 0) return "failed" as const
    if (bytes.length > ctx.settings.maxBytes) return "too-large" as const
    return { bytes, filename: view.filename, contentType: contentTypeOf(view.filename) } satisfies DeliveryImage
  })

/** An image down the ladder: native image -> document -> signed link -> text notice. */
const deliverImage = (ctx: DeliveryContext, index: number, view: ViewRequest, from: DeliveryRung) =>
  Effect.gen(function*() {
    const image = yield* fetchImage(ctx, view)
    if (image === "too-large") return yield* textRung(ctx, index, DeliveryTexts.imageTooLarge(view.filename))
    if (image === "failed") return yield* textRung(ctx, index, DeliveryTexts.imageFailed(view.filename))
    for (const rung of LADDER.slice(LADDER.indexOf(from))) {
      const step: Step | ItemResult = rung === "image"
        ? yield* sendOnRung(ctx, index, rung, (key) => ctx.platform.sendImage(ctx.entry.target, image, key))
        : rung === "document"
        ? yield* sendOnRung(ctx, index, rung, (key) => ctx.platform.sendDocument(ctx.entry.target, image, key))
        : rung === "link"
        ? yield* linkRung(ctx, index, image)
        : yield* textRung(ctx, index, DeliveryTexts.imageFailed(view.filename))
      if (step !== "refused") return step
    }
    return "failed" as const
  })

/**
 * Delivers one item unless its receipts say it already ended. A retry after `unavailable` resumes
 * on the rung that was unavailable. An item whose last send has an unknown outcome is resent (from the same rung, with the same idempotency key) only when the
 * platform's sends are idempotent; otherwise it is recorded as possibly delivered: never twice.
 */
export const deliverItem = (ctx: DeliveryContext, item: Item, receipts: ReadonlyArray<ItemReceipt>) =>
  Effect.gen(function*() {
    const history = itemHistory(receipts, item.index)
    if (history.final !== undefined) return history.final
    if (history.unknownRung !== undefined && !ctx.platform.idempotentSends) {
      yield* Effect.logWarning("a send was interrupted with an unknown outcome; not resending", ctx.entry.id, item.index)
      yield* mark(ctx, item.index, history.unknownRung, "possibly-delivered")
      return "possibly-delivered" as const
    }
    const from = history.unknownRung ?? history.unavailableRung ?? (item._tag === "Image" ? "image" : "text")
    return item._tag === "Image"
      ? yield* deliverImage(ctx, item.index, item.view, from)
      : yield* textRung(ctx, item.index, item.text)
  })

/** Every item in order, each at most once; the receipts are read once, before the first. */
export const deliverItems = (ctx: DeliveryContext, items: ReadonlyArray<Item>) =>
  Effect.gen(function*() {
    const ledger = yield* JobLedger
    const receipts = yield* pauseOnStore(ledger.receipts(ctx.entry.id))
    return yield* Effect.forEach(items, (item) => deliverItem(ctx, item, receipts))
  })
