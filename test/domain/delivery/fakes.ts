// In-memory doubles of the ports the delivery worker uses, with switches for failures.
import { Clock, Effect, Layer, Option, Queue, Stream, TestClock } from "effect"
import type { ViewRequest } from "../../../src/ports/Backend.js"
import {
  ChatDeliveries,
  DeliveryError,
  type DeliveryReceipt,
  type DeliveryRung,
  type PlatformDelivery
} from "../../../src/ports/ChatDelivery.js"
import { sendInParts } from "../../../src/adapters/delivery/TextParts.js"
import { ComfyEvents, ComfyFollowError, type JobSignal } from "../../../src/ports/ComfyEvents.js"
import { DeliveryQueue } from "../../../src/ports/DeliveryQueue.js"
import type { LedgerEntry } from "../../../src/ports/JobLedger.js"
import { MediaError, MediaStore } from "../../../src/ports/MediaStore.js"

export const settings = { maxImages: 4, maxBytes: 1000, timeoutSec: 600, maxAgeMillis: 24 * 3600_000 }

export const target = { platform: "telegram", channelId: "c1", senderId: "u1", workspaceId: "", threadId: "7" }

export const entry = (over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  id: "job:p-1",
  kind: "job",
  ref: "p-1",
  inboundEventKey: "telegram:1",
  target,
  templateId: "tpl",
  state: "submitted",
  attempts: 0,
  createdAtMillis: 0,
  updatedAtMillis: 0,
  ...over
})

export const view = (filename: string): ViewRequest => ({ filename, subfolder: "", type: "output" })

/** What the fake platform does with one call. `delivered-unknown`: it arrives, but the answer is lost. */
export type Behaviour = "ok" | DeliveryError["reason"] | "delivered-unknown"

export interface Sent {
  readonly op: DeliveryRung
  readonly channelId: string
  readonly text: string
  readonly filename: string
  readonly key: string
  /** Which part of a text sent in several messages (0 for everything else). */
  readonly part: number
  readonly ref: string
  readonly at: number
}

export interface FakePlatform {
  readonly delivery: PlatformDelivery
  /** Every message that reached the chat, in order. */
  readonly sent: Array<Sent>
  readonly edits: Array<{ readonly ref: string; readonly text: string; readonly at: number }>
  readonly typing: Array<number>
  /** Decides each call (default: everything succeeds). */
  behave: (op: DeliveryRung | "edit", payload: string) => Behaviour
  readonly texts: () => ReadonlyArray<string>
  readonly images: () => ReadonlyArray<string>
}

/** Code-point pieces of at most `size` (the whole text when `size` is undefined). */
const piecesOf = (text: string, size: number | undefined): ReadonlyArray<string> => {
  const points = Array.from(text)
  if (size === undefined || points.length <= size) return [text]
  return Array.from({ length: Math.ceil(points.length / size) }, (_, i) => points.slice(i * size, (i + 1) * size).join(""))
}

/**
 * A recording platform. With `idempotentSends`, a key (and part) that already reached the chat is
 * answered with the first receipt and reaches the chat no second time (that is what the flag
 * promises). With `textPartChars`, longer texts go out as several messages through the adapters'
 * `sendInParts`, each part a call of its own (and its own `behave` decision).
 */
export const makePlatform = (
  options: {
    readonly canEdit?: boolean
    readonly idempotentSends?: boolean
    readonly platform?: string
    readonly textPartChars?: number
  } = {}
): FakePlatform => {
  const sent: Array<Sent> = []
  const edits: FakePlatform["edits"] = []
  const typing: Array<number> = []
  const byKey = new Map<string, DeliveryReceipt>()
  let n = 0
  const fake: FakePlatform = {
    sent,
    edits,
    typing,
    behave: () => "ok",
    texts: () => sent.filter((s) => s.op === "text" || s.op === "link").map((s) => s.text),
    images: () => sent.filter((s) => s.op === "image" || s.op === "document").map((s) => s.filename),
    delivery: undefined as unknown as PlatformDelivery
  }
  const send = (op: DeliveryRung, channelId: string, text: string, filename: string, key: string, part = 0) =>
    Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      const partKey = `${key}#${part}`
      if (options.idempotentSends === true && byKey.has(partKey)) return byKey.get(partKey)!
      const behaviour = fake.behave(op, filename || text)
      if (behaviour === "ok" || behaviour === "delivered-unknown") {
        n += 1
        const receipt = { rung: op, platformRef: `m-${n}` }
        sent.push({ op, channelId, text, filename, key, part, ref: receipt.platformRef, at })
        byKey.set(partKey, receipt)
        if (behaviour === "ok") return receipt
        return yield* new DeliveryError({ reason: "unknown-outcome", message: "answer lost" })
      }
      return yield* new DeliveryError({ reason: behaviour, message: `fake ${behaviour}` })
    })
  const delivery: PlatformDelivery = {
    platform: options.platform ?? "telegram",
    canEdit: options.canEdit ?? true,
    idempotentSends: options.idempotentSends ?? false,
    // A text on the link rung is recorded as a link, so tests can tell them apart.
    sendText: (t, text, key) =>
      sendInParts({
        what: "fake text",
        parts: piecesOf(text, options.textPartChars),
        send: (piece, part) =>
          Effect.map(send(text.startsWith("🖼️") ? "link" : "text", t.channelId, piece, "", key, part), (r) => r.platformRef)
      }).pipe(Effect.map((receipt) => ({ ...receipt, rung: text.startsWith("🖼️") ? "link" as const : "text" as const }))),
    editText: (_t, ref, text) =>
      Effect.gen(function*() {
        const behaviour = fake.behave("edit", text)
        if (behaviour !== "ok") return yield* new DeliveryError({ reason: "unavailable", message: "fake" })
        edits.push({ ref, text, at: yield* Clock.currentTimeMillis })
      }),
    sendImage: (t, image, key) => send("image", t.channelId, "", image.filename, key),
    sendDocument: (t, image, key) => send("document", t.channelId, "", image.filename, key),
    typing: () => Effect.flatMap(Clock.currentTimeMillis, (at) => Effect.sync(() => void typing.push(at)))
  }
  ;(fake as { delivery: PlatformDelivery }).delivery = delivery
  return fake
}

/** A registry fake whose platforms the test registers (or not). */
export const makeRegistry = () => {
  const platforms = new Map<string, PlatformDelivery>()
  return {
    register: (p: PlatformDelivery) => void platforms.set(p.platform, p),
    unregister: (name: string) => void platforms.delete(name),
    layer: Layer.succeed(ChatDeliveries, ChatDeliveries.of({
      register: (p) => Effect.sync(() => void platforms.set(p.platform, p)),
      forPlatform: (name) => Effect.sync(() => Option.fromNullable(platforms.get(name)))
    }))
  }
}

/**
 * ComfyEvents: the test emits signals per prompt. A terminal signal is remembered, so a later
 * follow (a resume) gets it at once, as the real adapter answers from history. The deadline is
 * kept with the Effect Clock (TestClock in tests).
 */
export const makeComfy = () => {
  const queues = new Map<string, Queue.Queue<JobSignal>>()
  const terminal = new Map<string, JobSignal>()
  const follows: Array<{ readonly promptId: string; readonly deadlineMillis: number }> = []
  const queueOf = (id: string) => {
    if (!queues.has(id)) queues.set(id, Effect.runSync(Queue.unbounded<JobSignal>()))
    return queues.get(id)!
  }
  const timeout = (deadlineMillis: number) =>
    Stream.fromEffect(Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      if (deadlineMillis > now) yield* Effect.sleep(deadlineMillis - now)
      return yield* new ComfyFollowError({ reason: "timeout", message: "deadline" })
    }))
  return {
    follows,
    emit: (promptId: string, signal: JobSignal) =>
      Effect.sync(() => {
        if (signal._tag === "Succeeded" || signal._tag === "Failed") terminal.set(promptId, signal)
        queueOf(promptId).unsafeOffer(signal)
      }),
    layer: Layer.succeed(ComfyEvents, ComfyEvents.of({
      follow: (promptId, { deadlineMillis }) =>
        Stream.suspend(() => {
          follows.push({ promptId, deadlineMillis })
          const known = terminal.get(promptId)
          if (known !== undefined) return Stream.make(known)
          const live = Stream.fromQueue(queueOf(promptId)).pipe(
            Stream.takeUntil((s) => s._tag === "Succeeded" || s._tag === "Failed")
          )
          return Stream.merge(live, timeout(deadlineMillis) as Stream.Stream<never, ComfyFollowError>, { haltStrategy: "left" })
        })
    }))
  }
}

/** A MediaStore that hands out links, or refuses with `failWith`. */
export const makeMedia = () => {
  const stored: Array<string> = []
  const state: { failWith: MediaError["reason"] | undefined } = { failWith: undefined }
  const layer = Layer.succeed(MediaStore, MediaStore.of({
    put: (file) =>
      Effect.suspend(() => {
        if (state.failWith !== undefined) return Effect.fail(new MediaError({ reason: state.failWith, message: "fake" }))
        stored.push(file.filename)
        return Effect.succeed({ url: `https://media.test/m/${stored.length}`, previewUrl: "", expiresAtMillis: 0 })
      }),
    open: () => Effect.succeed(Option.none())
  }))
  return { stored, state, layer }
}

/** A DeliveryQueue that only records what it was handed. */
export const makeQueueFake = () => {
  const enqueued: Array<string> = []
  return { enqueued, layer: Layer.succeed(DeliveryQueue, DeliveryQueue.of({ enqueue: (id) => Effect.sync(() => void enqueued.push(id)) })) }
}

/** Lets forked fibers run until `condition` holds (no wall-clock waiting; fails after `max` turns). */
export const until = (condition: () => boolean, what: string, max = 2_000) =>
  Effect.gen(function*() {
    for (let i = 0; i < max; i++) {
      if (condition()) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`never happened: ${what}`)
  })

/** Lets forked fibers settle, then moves the TestClock by `millis` in steps of `step`. */
export const advance = (millis: number, step = 1_000) =>
  Effect.gen(function*() {
    for (let done = 0; done < millis; done += step) {
      yield* settle
      yield* TestClock.adjust(Math.min(step, millis - done))
    }
    yield* settle
  })

export const settle = Effect.gen(function*() {
  for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
})
