import { Duration, Effect, Redacted, Schema } from "effect"
import { Api, GrammyError, HttpError } from "grammy"
import type { InlineKeyboardMarkup } from "grammy/types"
import { type HealthState, PlatformHealth } from "../../ports/PlatformHealth.js"
import { isNeverSent } from "../http/PlatformApi.js"
import { makeUploader } from "./DeliveryUpload.js"
import type { ChatTarget } from "./Inbound.js"

/**
 * The Bot API calls the adapter makes, through grammY's `Api` client (`apiRoot` configurable for a
 * local Bot API server and tests), as Effects with one typed error. The bot token is in every
 * URL, so nothing here ever logs or returns a URL, a request, or a library error message: only
 * the method name, the status and Telegram's own `description` (scrubbed, bounded).
 * Every call records the platform's health: 401 -> invalid_token, 429 -> rate_limited, no
 * answer or 5xx -> unreachable, success -> ok.
 */
export class TelegramCallError extends Schema.TaggedError<TelegramCallError>()("TelegramCallError", {
  reason: Schema.Literal("unreachable", "server", "rate-limited", "unauthorized", "conflict", "forbidden", "rejected"),
  method: Schema.String,
  /** Telegram's `error_code` when it answered. */
  status: Schema.optional(Schema.Number),
  /** `parameters.retry_after` of a 429, in seconds. */
  retryAfterSeconds: Schema.optional(Schema.Number),
  description: Schema.optional(Schema.String),
  /** Network failures only: the request certainly never reached the server (safe to resend). */
  neverSent: Schema.optional(Schema.Boolean)
}) {}

export const ALLOWED_UPDATES = ["message", "channel_post", "callback_query"] as const

const MAX_DESCRIPTION = 200

const scrub = (text: string): string =>
  text.replace(/https?:\/\/\S+/g, "<url>").replace(/bot[0-9]+:[A-Za-z0-9_-]+/g, "bot<token>").slice(0, MAX_DESCRIPTION)

/** Maps whatever grammY threw to a TelegramCallError (never keeping the library's message). */
export const classifyFailure = (method: string, error: unknown): TelegramCallError => {
  if (error instanceof GrammyError) {
    const status = error.error_code
    const description = scrub(error.description ?? "")
    const base = { method, status, description }
    if (status === 429) {
      const retryAfter = error.parameters?.retry_after
      return new TelegramCallError({
        ...base,
        reason: "rate-limited",
        ...(typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0
          ? { retryAfterSeconds: retryAfter }
          : {})
      })
    }
    if (status === 401) return new TelegramCallError({ ...base, reason: "unauthorized" })
    if (status === 409) return new TelegramCallError({ ...base, reason: "conflict" })
    if (status === 403) return new TelegramCallError({ ...base, reason: "forbidden" })
    if (status >= 500) return new TelegramCallError({ ...base, reason: "server" })
    return new TelegramCallError({ ...base, reason: "rejected" })
  }
  if (error instanceof HttpError) {
    // A body that is not JSON (a proxy's HTML error page) came from a server: retryable.
    const inner = error.error as { type?: unknown } | undefined
    if (inner?.type === "invalid-json") return new TelegramCallError({ method, reason: "server" })
    // grammY wraps the fetch error: `inner` is it (its code, or its cause's, names the failure).
    return new TelegramCallError({ method, reason: "unreachable", neverSent: isNeverSent(inner) })
  }
  return new TelegramCallError({ method, reason: "unreachable", neverSent: false })
}

/** grammY types its signal with the `abort-controller` polyfill; Node's own works at runtime. */
type GrammySignal = NonNullable<Parameters<Api["getMe"]>[0]>
const sig = (signal: AbortSignal): GrammySignal => signal as unknown as GrammySignal

const healthOf = (error: TelegramCallError): HealthState | undefined => {
  switch (error.reason) {
    case "unauthorized":
      return "invalid_token"
    case "rate-limited":
      return "rate_limited"
    case "unreachable":
    case "server":
      return "unreachable"
    default:
      return undefined
  }
}

export interface BotUser {
  readonly id: number
  readonly username: string
}

export interface SendOptions {
  readonly replyMarkup?: InlineKeyboardMarkup
}

/** A file for sendPhoto/sendDocument, sent with its own name and content type. */
export interface UploadFile {
  readonly bytes: Uint8Array
  readonly filename: string
  readonly contentType: string
}

export interface TelegramApi {
  readonly getMe: Effect.Effect<BotUser, TelegramCallError>
  /** Long poll; the call's own timeout is the poll timeout plus a margin. */
  readonly getUpdates: (offset: number, timeoutSeconds: number) => Effect.Effect<ReadonlyArray<unknown>, TelegramCallError>
  /** Plain text (no parse_mode); `message_thread_id` only for a forum topic. The message id. */
  readonly sendMessage: (target: ChatTarget, text: string, options?: SendOptions) => Effect.Effect<number, TelegramCallError>
  /** Plain text in place; Telegram's "message is not modified" (same text) counts as success. */
  readonly editMessageText: (chatId: number, messageId: number, text: string) => Effect.Effect<void, TelegramCallError>
  /** Multipart uploads (DeliveryUpload.ts): the message id. */
  readonly sendPhoto: (target: ChatTarget, file: UploadFile) => Effect.Effect<number, TelegramCallError>
  readonly sendDocument: (target: ChatTarget, file: UploadFile) => Effect.Effect<number, TelegramCallError>
  readonly sendTyping: (target: ChatTarget) => Effect.Effect<void, TelegramCallError>
  readonly answerCallbackQuery: (id: string, text?: string) => Effect.Effect<void, TelegramCallError>
  readonly setWebhook: (url: string, secretToken: Redacted.Redacted) => Effect.Effect<void, TelegramCallError>
}

export interface TelegramApiOptions {
  readonly token: Redacted.Redacted
  /** `https://api.telegram.org` by default; a trailing slash is removed (grammY refuses it). */
  readonly apiRoot: string
  /** Timeout of every call but getUpdates and uploads (default 30 s). */
  readonly callTimeoutMillis?: number
  /** Timeout of sendPhoto/sendDocument (default 120 s: up to 50 MB go up). */
  readonly uploadTimeoutMillis?: number
}

const NOT_MODIFIED = /message is not modified/i

export const makeTelegramApi = (options: TelegramApiOptions): Effect.Effect<TelegramApi, never, PlatformHealth> =>
  Effect.gen(function*() {
    const health = yield* PlatformHealth
    const api = new Api(Redacted.value(options.token) as string, {
      apiRoot: options.apiRoot.replace(/\/+$/, ""),
      // The Effect timeouts below abort earlier; this only bounds a call nobody waits for.
      timeoutSeconds: 600
    })
    const callTimeout = options.callTimeoutMillis ?? 30_000
    const uploadTimeout = options.uploadTimeoutMillis ?? 120_000
    const upload = makeUploader(options.apiRoot, options.token)

    const call = <A>(method: string, timeoutMillis: number, run: (signal: AbortSignal) => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: (error) => classifyFailure(method, error) }).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(timeoutMillis),
          onTimeout: () => new TelegramCallError({ method, reason: "unreachable", neverSent: false })
        }),
        Effect.tapBoth({
          onFailure: (error) => {
            const state = healthOf(error)
            const detail = error.status === undefined ? `${method}: no answer` : `${method}: HTTP ${error.status}`
            return state === undefined ? Effect.void : health.record("telegram", "", state, detail)
          },
          onSuccess: () => health.record("telegram", "", "ok", method)
        })
      )

    const thread = (target: ChatTarget) => (target.threadId === undefined ? {} : { message_thread_id: target.threadId })

    return {
      getMe: Effect.map(
        call("getMe", callTimeout, (signal) => api.getMe(sig(signal))),
        (me) => ({ id: me.id, username: me.username })
      ),
      getUpdates: (offset, timeoutSeconds) =>
        call(
          "getUpdates",
          timeoutSeconds * 1000 + 15_000,
          (signal) =>
            api.getUpdates({ offset, timeout: timeoutSeconds, limit: 100, allowed_updates: [...ALLOWED_UPDATES] }, sig(signal))
        ),
      sendMessage: (target, text, sendOptions) =>
        Effect.map(
          call("sendMessage", callTimeout, (signal) =>
            api.sendMessage(target.chatId, text, {
              ...thread(target),
              ...(sendOptions?.replyMarkup === undefined ? {} : { reply_markup: sendOptions.replyMarkup })
            }, sig(signal))),
          (message) => message.message_id
        ),
      editMessageText: (chatId, messageId, text) =>
        call("editMessageText", callTimeout, (signal) => api.editMessageText(chatId, messageId, text, {}, sig(signal))).pipe(
          Effect.asVoid,
          Effect.catchIf((e) => e.reason === "rejected" && NOT_MODIFIED.test(e.description ?? ""), () => Effect.void)
        ),
      sendPhoto: (target, file) =>
        call("sendPhoto", uploadTimeout, (signal) => upload("sendPhoto", { chat_id: target.chatId, ...thread(target) }, "photo", file, signal)),
      sendDocument: (target, file) =>
        call("sendDocument", uploadTimeout, (signal) => upload("sendDocument", { chat_id: target.chatId, ...thread(target) }, "document", file, signal)),
      sendTyping: (target) =>
        Effect.asVoid(call("sendChatAction", callTimeout, (signal) =>
          api.sendChatAction(target.chatId, "typing", thread(target), sig(signal)))),
      answerCallbackQuery: (id, text) =>
        Effect.asVoid(call("answerCallbackQuery", callTimeout, (signal) =>
          api.answerCallbackQuery(id, text === undefined ? {} : { text: text.slice(0, 200) }, sig(signal)))),
      setWebhook: (url, secretToken) =>
        Effect.asVoid(call("setWebhook", callTimeout, (signal) =>
          api.setWebhook(url, {
            secret_token: Redacted.value(secretToken) as string,
            allowed_updates: [...ALLOWED_UPDATES]
          }, sig(signal))))
    } satisfies TelegramApi
  })
