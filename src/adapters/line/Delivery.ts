import { createHash } from "node:crypto"
import { type Context, Effect, Redacted } from "effect"
import { DeliveryError, type DeliveryImage, type DeliveryReceipt, type PlatformDelivery } from "../../ports/ChatDelivery.js"
import { MediaStore } from "../../ports/MediaStore.js"
import { PlatformHealth } from "../../ports/PlatformHealth.js"
import { JPEG_OR_PNG, mediaDeliveryError, platformCallDeliveryError } from "../delivery/DeliveryErrors.js"
import { sendInParts } from "../delivery/TextParts.js"
import { callPlatformApi, type PlatformCallError } from "../http/PlatformApi.js"
import { batchesOf, textMessagesOf } from "./Messages.js"

/**
 * Results delivered to a LINE chat after the command was answered (spec §6 LINE row; its bugs
 * fixed: nothing is cut at 2000 characters, failures are reported to the worker, a 401/410 only
 * marks the health instead of blocking all LINE output).
 *
 * - Everything goes by push (`/v2/bot/message/push`, `to` = the chat id: user, group or room).
 *   Each push carries `X-Line-Retry-Key`, a UUID derived from the worker's idempotency key and
 *   the part being sent, so a resend after a lost answer (or after a restart) is dropped by LINE
 *   itself (answered 409 "already accepted", which is a success here): `idempotentSends`.
 * - Text is split into messages of at most 5000 characters, 5 messages per push call; a push
 *   that fails after the first one went through is `unknown-outcome` (TextParts.ts): the worker
 *   resends with the same retry keys, so LINE drops the pushes it already took.
 * - Images are stored in the MediaStore and sent as an image message by its signed https URL
 *   (LINE fetches it later). LINE takes JPEG or PNG up to 10 MB only; other images are
 *   `unsupported` here, so the worker falls back to the link rung. No document messages exist.
 * - No edits. `typing` shows LINE's loading animation in 1:1 chats (user ids start with `U`);
 *   groups and rooms have none; its failure is ignored.
 * - Receipts carry the first sent message's id from `sentMessages` ("" when LINE gives none).
 */
export interface LineDeliveryOptions {
  /** `https://api.line.me` or a test fake; a trailing `/` is ignored. */
  readonly apiRoot: string
  readonly channelAccessToken: Redacted.Redacted
  readonly timeoutMillis?: number
  /** Length of one loading animation, 5..60 in steps of 5 (default 20); the worker calls again while working. */
  readonly loadingSeconds?: number
  /** Backoff before the platform-call retries (default PlatformApi's); tests shorten it. */
  readonly backoffMillis?: number
}

export const PUSH_PATH = "/v2/bot/message/push"
export const LOADING_PATH = "/v2/bot/chat/loading/start"
/** LINE's limit for `originalContentUrl` images. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024

/** A fixed namespace so keys from this connector never collide with other UUIDv5 users. */
const RETRY_KEY_NAMESPACE = Buffer.from("9b3f6c2e0d8a4f1b8e5c7a2d4b6f8e10", "hex")

/**
 * The `X-Line-Retry-Key` for one part (`text:0`, `image`...) of the item with `idempotencyKey`:
 * a name-based UUID (version 5, SHA-1), the same on every attempt and after a restart.
 */
export const retryKeyOf = (idempotencyKey: string, part: string): string => {
  const hash = createHash("sha1").update(RETRY_KEY_NAMESPACE).update(`${part}\u0000${idempotencyKey}`, "utf8").digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** What a failed platform call means for the worker (see ChatDelivery's reasons). */
export const lineDeliveryError = (e: PlatformCallError, what: string): DeliveryError =>
  platformCallDeliveryError(e, { platform: "LINE", what, authRefused: "refused the channel access token" })

const firstSentId = (body: unknown): string => {
  const sent = (body as { sentMessages?: unknown } | undefined)?.sentMessages
  const id = Array.isArray(sent) ? (sent[0] as { id?: unknown } | undefined)?.id : undefined
  return typeof id === "string" ? id : ""
}

export const makeLineDelivery = (
  options: LineDeliveryOptions
): Effect.Effect<PlatformDelivery, never, PlatformHealth | MediaStore> =>
  Effect.map(Effect.context<PlatformHealth | MediaStore>(), (context) => {
    const root = options.apiRoot.replace(/\/+$/, "")
    const auth = () => ({ authorization: `Bearer ${Redacted.value(options.channelAccessToken) as string}` })
    const tuning = {
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis }),
      ...(options.backoffMillis === undefined ? {} : { backoffMillis: options.backoffMillis })
    }
    const loadingSeconds = Math.min(60, Math.max(5, Math.round((options.loadingSeconds ?? 20) / 5) * 5))
    const run = <A, E>(effect: Effect.Effect<A, E, PlatformHealth | MediaStore>): Effect.Effect<A, E> =>
      Effect.provide(effect, context as Context.Context<PlatformHealth | MediaStore>)

    /** One push; the message id LINE gives back, or "" (also for a 409: this key was already accepted). */
    const push = (to: string, messages: ReadonlyArray<unknown>, retryKey: string, what: string) =>
      callPlatformApi({
        platform: "line",
        method: "POST",
        url: `${root}${PUSH_PATH}`,
        headers: { ...auth(), "x-line-retry-key": retryKey },
        json: { to, messages },
        idempotent: true,
        ...tuning
      }).pipe(
        Effect.map((answer) => firstSentId(answer.body)),
        Effect.catchIf(
          (e) => e.reason === "rejected" && e.status === 409,
          () =>
            Effect.zipRight(
              // callPlatformApi counted the 409 as a refusal; it is LINE confirming the earlier send.
              Effect.flatMap(PlatformHealth, (h) => h.record("line", "", "ok", "HTTP 409 (retry key already accepted)")),
              Effect.as(Effect.logInfo(`LINE ${what}: already accepted earlier (same retry key); not sent again`), "")
            )
        ),
        Effect.mapError((e) => lineDeliveryError(e, what))
      )

    const sendText = (target: { readonly channelId: string }, text: string, idempotencyKey: string) =>
      run(sendInParts({
        what: "LINE text",
        parts: batchesOf(textMessagesOf(text)),
        send: (batch, i) => push(target.channelId, batch, retryKeyOf(idempotencyKey, `text:${i}`), "push")
      }))

    const sendImage = (target: { readonly channelId: string }, image: DeliveryImage, idempotencyKey: string) =>
      run(Effect.gen(function*() {
        if (!JPEG_OR_PNG.has(image.contentType)) {
          return yield* new DeliveryError({ reason: "unsupported", message: `LINE image messages take JPEG or PNG, not ${image.contentType}` })
        }
        if (image.bytes.byteLength > MAX_IMAGE_BYTES) {
          return yield* new DeliveryError({ reason: "too-large", message: "LINE image messages take at most 10 MB" })
        }
        const media = yield* MediaStore
        const stored = yield* media.put({ bytes: image.bytes, contentType: image.contentType, filename: image.filename }).pipe(
          Effect.mapError((e) => mediaDeliveryError(e, "LINE"))
        )
        const message = { type: "image", originalContentUrl: stored.url, previewImageUrl: stored.previewUrl }
        const id = yield* push(target.channelId, [message], retryKeyOf(idempotencyKey, "image"), "image push")
        return { rung: "image", platformRef: id } satisfies DeliveryReceipt
      }))

    const typing = (target: { readonly channelId: string }) =>
      target.channelId.startsWith("U")
        ? run(
          callPlatformApi({
            platform: "line",
            method: "POST",
            url: `${root}${LOADING_PATH}`,
            headers: auth(),
            json: { chatId: target.channelId, loadingSeconds },
            retries: 0,
            ...tuning
          }).pipe(
            Effect.asVoid,
            Effect.catchAll((e) => Effect.logDebug("LINE loading animation not shown", e.reason, e.status ?? ""))
          )
        )
        : Effect.void

    return {
      platform: "line",
      canEdit: false,
      idempotentSends: true,
      sendText,
      editText: () => Effect.fail(new DeliveryError({ reason: "unsupported", message: "LINE messages cannot be edited" })),
      sendImage,
      sendDocument: () => Effect.fail(new DeliveryError({ reason: "unsupported", message: "LINE has no document messages" })),
      typing
    } satisfies PlatformDelivery
  })
