import { Duration, Effect, Redacted } from "effect"
import { FormData, request } from "undici"
import { DeliveryError, type DeliveryImage } from "../../ports/ChatDelivery.js"
import { jsonOrUndefined } from "../http/JsonBody.js"

/**
 * Uploading an image as WeChat temporary media (`POST <apiRoot>/cgi-bin/media/upload?
 * access_token=..&type=image`, multipart field `media`; kept by WeChat for 3 days) so a Customer
 * Service message can show it by `media_id`. `callPlatformApi` speaks JSON only, hence this call.
 *
 * - Uploading twice does no harm (nobody sees temporary media), so network failures, 429 and
 *   5xx are retried (bounded, with backoff) and end `unavailable`; 413 is `too-large`, any other
 *   non-2xx `rejected`.
 * - Gives back the parsed JSON body; `WeChatApi.withToken` reads its errcode (token refresh) and
 *   the caller its `media_id`.
 * - The URL carries the access token: it is never logged or put into an error.
 */
export interface UploadOptions {
  /** `https://api.weixin.qq.com` or a test fake, without a trailing `/`. */
  readonly root: string
  readonly timeoutMillis?: number
  /** Extra attempts after the first for retryable outcomes (default 2). */
  readonly retries?: number
  /** First backoff step (default 500 ms, doubling). */
  readonly backoffMillis?: number
}

type Outcome =
  | { readonly _tag: "Answer"; readonly status: number; readonly body: unknown }
  | { readonly _tag: "NoAnswer" }

const attempt = (url: string, image: DeliveryImage, timeoutMillis: number): Effect.Effect<Outcome> =>
  Effect.tryPromise(async (signal) => {
    const form = new FormData()
    form.append("media", new Blob([image.bytes], { type: image.contentType }), image.filename)
    const res = await request(url, { method: "POST", body: form, signal })
    const text = await res.body.text()
    const body = jsonOrUndefined(text)
    return { _tag: "Answer", status: res.statusCode, body } as Outcome
  }).pipe(
    Effect.timeout(Duration.millis(timeoutMillis)),
    Effect.catchAll(() => Effect.succeed<Outcome>({ _tag: "NoAnswer" }))
  )

export const uploadTemporaryImage = (options: UploadOptions) =>
(token: Redacted.Redacted<string>, image: DeliveryImage): Effect.Effect<unknown, DeliveryError> =>
  Effect.gen(function*() {
    const url = `${options.root}/cgi-bin/media/upload?access_token=${encodeURIComponent(Redacted.value(token))}&type=image`
    const retries = Math.max(0, options.retries ?? 2)
    for (let n = 0;; n++) {
      const outcome = yield* attempt(url, image, options.timeoutMillis ?? 30_000)
      const status = outcome._tag === "Answer" ? outcome.status : undefined
      if (outcome._tag === "Answer" && outcome.status >= 200 && outcome.status < 300) return outcome.body
      if (status === 413) return yield* new DeliveryError({ reason: "too-large", message: "WeChat media upload refused as too large (HTTP 413)" })
      const retryable = status === undefined || status === 408 || status === 429 || status >= 500
      if (!retryable) {
        return yield* new DeliveryError({ reason: "rejected", message: `WeChat media upload refused (HTTP ${status})` })
      }
      if (n >= retries) {
        return yield* new DeliveryError({
          reason: "unavailable",
          message: status === undefined ? "WeChat media upload got no answer" : `WeChat media upload unavailable (HTTP ${status})`
        })
      }
      yield* Effect.sleep(Duration.millis(Math.min((options.backoffMillis ?? 500) * 2 ** n, 8_000)))
    }
  })
