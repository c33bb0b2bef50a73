import { type Context, Effect, Redacted } from "effect"
import type { DeliveryTarget } from "../../domain/model/Request.js"
import { DeliveryError, type DeliveryImage, type DeliveryReceipt, type PlatformDelivery } from "../../ports/ChatDelivery.js"
import type { PlatformHealth } from "../../ports/PlatformHealth.js"
import { sendInParts } from "../delivery/TextParts.js"
import { callPlatformApi } from "../http/PlatformApi.js"
import { uploadTemporaryImage } from "./DeliveryUpload.js"
import { textMessages, type WeChatApi, type WeChatApiError } from "./WeChatApi.js"

/**
 * Results delivered to a WeChat Official Account follower after the passive reply (spec §6 WeChat
 * row; the reference sent only "Media delivery not yet supported" for images).
 *
 * - Text: Customer Service `text` messages (split at 2048 bytes as WeChatApi's `textMessages`,
 *   with its token cache and refresh-once rule); a piece that fails after the first arrived is
 *   `unknown-outcome` (TextParts.ts), so the text is never resent in full.
 * - Images: uploaded as temporary media (`/cgi-bin/media/upload?type=image`, multipart), then sent
 *   as a Customer Service `image` message by `media_id`. WeChat takes PNG, JPEG, GIF or BMP up to
 *   10 MB; anything else is `unsupported`/`too-large` here so the worker falls down the ladder.
 *   Customer Service messages have no file type: `sendDocument` is `unsupported`.
 * - No edits, no idempotency key. A send that got no answer is `unknown-outcome`; a failure
 *   before the message call (token, upload) never sent anything and is `unavailable`/`rejected`.
 * - `typing` sends the Customer Service "Typing" command; any failure is ignored.
 * - WeChat answers `{errcode: 0}` without a message id: receipts have `platformRef` "".
 * - Without the AppID/AppSecret nothing can be sent: every call is `unsupported`, naming them.
 */
export interface WeChatDeliveryOptions {
  /** The same API root the WeChatApi was made with; a trailing `/` is ignored. */
  readonly apiRoot: string
  readonly api: WeChatApi
  readonly uploadTimeoutMillis?: number
  /** First backoff step of the upload retries (default 500 ms); tests shorten it. */
  readonly backoffMillis?: number
}

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024
/** The image types Customer Service image messages take (as the ladder's `contentTypeOf` names them). */
const IMAGE_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/bmp"])
/** errcodes meaning the media's size is out of bounds (invalid image/media size, media size out of limit). */
const SIZE_ERRCODES: ReadonlySet<number> = new Set([40006, 40009, 45001])
/** errcodes meaning the media's type is not taken (invalid media type, invalid file type). */
const TYPE_ERRCODES: ReadonlySet<number> = new Set([40004, 40005])
/** errcodes meaning "try again later" (system busy, API call frequency over its limit). */
const BUSY_ERRCODES: ReadonlySet<number> = new Set([-1, 45009, 45011])

const fail = (reason: DeliveryError["reason"], message: string) => Effect.fail(new DeliveryError({ reason, message }))

/**
 * What a WeChatApiError means for the worker. `sent`: whether the failing call was the message
 * itself (no answer then means it may have arrived), not the token fetch or the upload before it.
 */
export const wechatDeliveryError = (e: WeChatApiError, what: string, sent: boolean): DeliveryError => {
  const code = e.errcode === undefined ? "" : ` errcode ${e.errcode}`
  const said = e.detail === undefined ? "" : `: ${e.detail}`
  const error = (reason: DeliveryError["reason"], text: string) =>
    new DeliveryError({ reason, message: `WeChat ${what} ${text}${code}${said}` })
  switch (e.reason) {
    case "not-configured":
      return new DeliveryError({
        reason: "unsupported",
        message: "WeChat Customer Service API unavailable: OPENCLAW_CONNECTOR_WECHAT_APP_ID and OPENCLAW_CONNECTOR_WECHAT_APP_SECRET are both needed"
      })
    case "token-unavailable":
      return error("unavailable", "could not get an access token")
    case "token-invalid":
      return error("rejected", "access token refused")
    case "unreachable":
      return sent && e.status === undefined ? error("unknown-outcome", "got no answer") : error("unavailable", "unavailable")
    case "rejected":
      if (e.status === 413 || (e.errcode !== undefined && SIZE_ERRCODES.has(e.errcode))) return error("too-large", "refused as too large")
      if (e.errcode !== undefined && TYPE_ERRCODES.has(e.errcode)) return error("unsupported", "refused the media type")
      if (e.errcode !== undefined && BUSY_ERRCODES.has(e.errcode)) return error("unavailable", "busy")
      return error("rejected", "refused")
  }
}

const IMAGE: DeliveryReceipt = { rung: "image", platformRef: "" }

export const makeWeChatDelivery = (options: WeChatDeliveryOptions): Effect.Effect<PlatformDelivery, never, PlatformHealth> =>
  Effect.map(Effect.context<PlatformHealth>(), (context) => {
    const { api } = options
    const root = options.apiRoot.replace(/\/+$/, "")
    const run = <A, E>(effect: Effect.Effect<A, E, PlatformHealth>): Effect.Effect<A, E> =>
      Effect.provide(effect, context as Context.Context<PlatformHealth>)
    const upload = uploadTemporaryImage({
      root,
      ...(options.uploadTimeoutMillis === undefined ? {} : { timeoutMillis: options.uploadTimeoutMillis }),
      ...(options.backoffMillis === undefined ? {} : { backoffMillis: options.backoffMillis })
    })
    /** A token first, so a failure to get one is never mistaken for a message that may have gone out. */
    const token = (what: string) => Effect.mapError(api.accessToken, (e) => wechatDeliveryError(e, what, false))
    const send = (message: object, what: string) => Effect.mapError(api.sendMessage(message), (e) => wechatDeliveryError(e, what, true))

    const sendText = (target: DeliveryTarget, text: string) =>
      text.trim() === ""
        ? fail("rejected", "WeChat text: nothing to send")
        : run(Effect.gen(function*() {
          yield* token("text")
          return yield* sendInParts({
            what: "WeChat text",
            parts: textMessages(target.channelId, text),
            send: (message) => Effect.as(send(message, "text"), "")
          })
        }))

    const sendImage = (target: DeliveryTarget, image: DeliveryImage) => {
      if (!IMAGE_TYPES.has(image.contentType)) {
        return fail("unsupported", `WeChat images are PNG, JPEG, GIF or BMP, not ${image.contentType}`)
      }
      if (image.bytes.byteLength > MAX_IMAGE_BYTES) return fail("too-large", "WeChat images take at most 10 MB")
      return run(Effect.gen(function*() {
        yield* token("image upload")
        const body = yield* api.withToken((t) => upload(t, image)).pipe(
          Effect.mapError((e) => e._tag === "DeliveryError" ? e : wechatDeliveryError(e, "image upload", false))
        )
        const mediaId = (body as { media_id?: unknown } | undefined)?.media_id
        if (typeof mediaId !== "string" || mediaId === "") {
          return yield* fail("rejected", "WeChat image upload answered without a media_id")
        }
        yield* send({ touser: target.channelId, msgtype: "image", image: { media_id: mediaId } }, "image")
        return IMAGE
      }))
    }

    const typing = (target: DeliveryTarget) =>
      run(
        api.withToken((t) =>
          Effect.map(
            callPlatformApi({
              platform: "wechat",
              method: "POST",
              url: `${root}/cgi-bin/message/custom/typing?access_token=${encodeURIComponent(Redacted.value(t))}`,
              json: { touser: target.channelId, command: "Typing" },
              retries: 0,
              timeoutMillis: 5_000
            }),
            (answer) => answer.body
          )
        ).pipe(Effect.asVoid, Effect.catchAll((e) => Effect.logDebug("WeChat typing not shown", e._tag)))
      )

    return {
      platform: "wechat",
      canEdit: false,
      idempotentSends: false,
      sendText,
      editText: () => fail("unsupported", "WeChat messages cannot be edited"),
      sendImage,
      sendDocument: () => fail("unsupported", "WeChat Customer Service messages have no file type"),
      typing
    } satisfies PlatformDelivery
  })
