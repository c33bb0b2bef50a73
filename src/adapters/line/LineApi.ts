import { randomUUID } from "node:crypto"
import { Clock, Effect, Redacted } from "effect"
import type { PlatformHealth } from "../../ports/PlatformHealth.js"
import { callPlatformApi, type PlatformCallError } from "../http/PlatformApi.js"
import { batchesOf, type TextMessage } from "./Messages.js"

/**
 * Sending messages to a LINE chat (spec §4.4; bug L2's missing push fallback fixed).
 *
 * - Reply API (`/v2/bot/message/reply`, free of quota) while the event's reply token is still
 *   good: non-empty, not a console verification token, and the event is less than
 *   `replyWindowMillis` (50 s; LINE honours about a minute) old when we send. A reply answered
 *   400 (token expired or used) falls back to push.
 * - Push API (`/v2/bot/message/push`, `to` = the chat id) otherwise, and for everything beyond
 *   the first 5 messages. Each push call carries its own `X-Line-Retry-Key` (a UUID), so LINE
 *   drops a repeat: it may be retried after a lost answer (`idempotent: true`) without a
 *   duplicate message. Reply calls have no such key and are never retried blind.
 * - Every call goes through `callPlatformApi` (timeouts, 429/5xx backoff, 401/410 recorded in
 *   PlatformHealth). The access token is only ever put in the Authorization header; neither it
 *   nor the URL is logged. A failed delivery is logged and stops (later parts would arrive out of
 *   order or into a revoked channel); it never fails the caller.
 */

export interface LineApiOptions {
  /** `https://api.line.me` or a test fake; a trailing `/` is ignored. */
  readonly apiRoot: string
  readonly channelAccessToken: Redacted.Redacted
  /** Use the reply token only while the event is younger than this (default 50 000 ms). */
  readonly replyWindowMillis?: number
  readonly timeoutMillis?: number
}

/** Where a reply goes: the chat of the event and, when there is one, its reply token. */
export interface LineTarget {
  readonly channelId: string
  readonly replyToken: string
  readonly eventMillis: number
}

export type DeliveryResult =
  | { readonly _tag: "Nothing" }
  | { readonly _tag: "Delivered"; readonly calls: ReadonlyArray<"reply" | "push"> }
  | { readonly _tag: "Failed"; readonly calls: ReadonlyArray<"reply" | "push">; readonly error: PlatformCallError }

export const DEFAULT_REPLY_WINDOW_MILLIS = 50_000
const VERIFY_TOKEN = /^(?:0{32}|f{32})$/i

/** Whether a reply token may still be used at `nowMillis` for an event sent at `eventMillis`. */
export const replyTokenUsable = (
  token: string,
  eventMillis: number,
  nowMillis: number,
  windowMillis = DEFAULT_REPLY_WINDOW_MILLIS
): boolean => token.trim() !== "" && !VERIFY_TOKEN.test(token.trim()) && nowMillis - eventMillis < windowMillis

export interface LineApi {
  /** Sends `messages` to `target` (reply first when possible, then push); never fails. */
  readonly deliver: (target: LineTarget, messages: ReadonlyArray<TextMessage>) => Effect.Effect<DeliveryResult, never, PlatformHealth>
}

export const makeLineApi = (options: LineApiOptions): LineApi => {
  const root = options.apiRoot.replace(/\/+$/, "")
  const window = options.replyWindowMillis ?? DEFAULT_REPLY_WINDOW_MILLIS
  const auth = () => ({ authorization: `Bearer ${Redacted.value(options.channelAccessToken) as string}` })
  const timeout = options.timeoutMillis !== undefined ? { timeoutMillis: options.timeoutMillis } : {}

  const reply = (replyToken: string, messages: ReadonlyArray<TextMessage>) =>
    callPlatformApi({
      platform: "line",
      method: "POST",
      url: `${root}/v2/bot/message/reply`,
      headers: auth(),
      json: { replyToken, messages },
      ...timeout
    })

  const push = (to: string, messages: ReadonlyArray<TextMessage>) =>
    Effect.flatMap(Effect.sync(() => randomUUID()), (retryKey) =>
      callPlatformApi({
        platform: "line",
        method: "POST",
        url: `${root}/v2/bot/message/push`,
        headers: { ...auth(), "x-line-retry-key": retryKey },
        json: { to, messages },
        idempotent: true,
        ...timeout
      }))

  const deliver = Effect.fnUntraced(function*(target: LineTarget, messages: ReadonlyArray<TextMessage>) {
    const batches = batchesOf(messages)
    if (batches.length === 0) return { _tag: "Nothing" } as DeliveryResult
    const calls: Array<"reply" | "push"> = []
    const failed = (error: PlatformCallError, via: "reply" | "push") =>
      Effect.as(
        Effect.logWarning(`LINE ${via} failed`, error.reason, error.status ?? "", error.detail ?? ""),
        { _tag: "Failed", calls, error } as DeliveryResult
      )
    let rest = batches
    const now = yield* Clock.currentTimeMillis
    if (replyTokenUsable(target.replyToken, target.eventMillis, now, window)) {
      const first = batches[0]!
      const answered = yield* Effect.either(reply(target.replyToken, first))
      calls.push("reply")
      if (answered._tag === "Right") rest = batches.slice(1)
      else if (answered.left.reason === "rejected" && answered.left.status === 400) {
        yield* Effect.logInfo("LINE reply token refused (expired or used); sending with push instead")
      } else return yield* failed(answered.left, "reply")
    }
    for (const batch of rest) {
      const pushed = yield* Effect.either(push(target.channelId, batch))
      calls.push("push")
      if (pushed._tag === "Left") return yield* failed(pushed.left, "push")
    }
    return { _tag: "Delivered", calls } as DeliveryResult
  })

  return { deliver }
}
