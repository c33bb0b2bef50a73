import { Cause, Clock, Duration, Effect, Either, Exit, Fiber, Metric, Option, Redacted } from "effect"
import type { IngressRefused } from "../../domain/Errors.js"
import { Texts } from "../../domain/render/Texts.js"
import { DEFAULT_FRESHNESS, freshnessOf, type FreshnessWindow, replayTtlMillisFor } from "../../domain/ingress/Freshness.js"
import { handleInbound, type IngressOutcome } from "../../domain/ingress/Ingress.js"
import { inboundCounter } from "../../domain/model/Metrics.js"
import type { Backend } from "../../ports/Backend.js"
import type { JobLedger } from "../../ports/JobLedger.js"
import type { PlatformHealth } from "../../ports/PlatformHealth.js"
import type { RateLimiter } from "../../ports/RateLimiter.js"
import { isAccepted, ReplayStore } from "../../ports/ReplayStore.js"
import type { Settings } from "../../ports/Settings.js"
import type { RawRequest, RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { type AesConfig, decodeBody } from "./Inbound.js"
import { normalise, untrustedNote } from "./Normalize.js"
import { encryptedReplyXml, MAX_TEXT_BYTES, splitUtf8, textReplyXml } from "./Reply.js"
import { verifyPlainSignature } from "./Signature.js"
import type { WeChatApi } from "./WeChatApi.js"

/**
 * The WeChat Official Account webhook (spec platforms-webhook-polling.md §6; bugs X1-X9 fixed).
 *
 * GET: the echostr handshake. A valid plain signature with a fresh timestamp -> 200 echostr;
 * anything else -> 403 "Verification failed".
 * POST, in this order:
 * 1. plain signature over (token, timestamp, nonce) -> 401 "Invalid Signature";
 * 2. timestamp window (300 s past, 60 s ahead) -> 403 "Stale Request", checked before the
 *    nonce is recorded, so a stale request does not use one up (X9);
 * 3. the nonce, claimed in the persistent ReplayStore for the whole window (`wechat:nonce:<n>`):
 *    blank, over-long or seen -> 403 "Replay Rejected"; a store that cannot claim -> 503;
 * 4. the body (Inbound.ts): 400 "Bad Request" / 400 "Decrypt Failed" / 401 "Invalid msg_signature";
 * 5. unsupported, empty or log-only messages -> 200 "success";
 * 6. the command runs exactly once (X1) through `handleInbound` (dedupe by MsgId or event key;
 *    a duplicate -> 200 "success"; a store that cannot claim -> 503; a defect in the core, a bug
 *    and never input, -> 500 "Internal Error" with the claim released). If it ends within `passiveWaitMillis` (4.5 s) its text is the
 *    passive reply; otherwise the passive reply says the result will follow, and when the command
 *    ends its text goes out through the Customer Service API. Text beyond the 2048-byte passive
 *    limit also follows through that API. In safe mode passive replies are encrypted (X3).
 * Approval buttons are not rendered: the reply text already lists the `/approve <id>` commands.
 */
export type WeChatRouteRequirements = ReplayStore | Backend | JobLedger | RateLimiter | Settings | PlatformHealth

export interface WeChatRouteOptions {
  readonly path: string
  readonly token: Redacted.Redacted
  readonly aes: AesConfig
  /** OPENCLAW_CONNECTOR_WECHAT_ALLOWED_USERS: only logged here; the core decides trust. */
  readonly allowedUsers: ReadonlyArray<string>
  readonly api: WeChatApi
  /** How long the passive reply waits for the command (default 4500 ms; WeChat waits 5 s). */
  readonly passiveWaitMillis?: number
  readonly freshness?: FreshnessWindow
}

export const SUCCESS = "success"
export const WORKING_TEXT = "Working on it, the result will follow."
export const UNAVAILABLE_TEXT = Texts.unavailable
export const INTERNAL_ERROR_TEXT = "[Error] Internal Error"

const MAX_NONCE_LENGTH = 128
const XML_HEADERS = { "content-type": "application/xml; charset=utf-8" }
const text = (status: number, body: string): RawResponse => ({ status, body })

const OUTCOMES = ["handled", "duplicate", "refused", "malformed", "rejected", "ignored", "error"] as const
type Outcome = typeof OUTCOMES[number]
const counters = Object.fromEntries(OUTCOMES.map((o) => [o, inboundCounter("wechat", o)])) as Record<
  Outcome,
  Metric.Metric.Counter<number>
>
/** Counts one inbound WeChat request by how it ended. */
const count = (outcome: Outcome) => Metric.increment(counters[outcome])

type Result = Exit.Exit<Either.Either<IngressOutcome, IngressRefused>>

/** What a finished pipeline means for the user: a text to send, or nothing. */
const settle = (result: Result): Effect.Effect<{ readonly status: number; readonly text: string | undefined }> => {
  if (Exit.isFailure(result)) {
    return Effect.logError("WeChat command failed with a defect", Cause.pretty(result.cause)).pipe(
      Effect.zipRight(count("error")),
      Effect.as({ status: 500, text: INTERNAL_ERROR_TEXT })
    )
  }
  return Either.match(result.value, {
    onLeft: () => Effect.as(count("refused"), { status: 503, text: UNAVAILABLE_TEXT }),
    onRight: (outcome) =>
      outcome._tag === "Replied"
        ? Effect.as(count("handled"), { status: 200, text: outcome.reply.text.trim() === "" ? undefined : outcome.reply.text })
        : Effect.as(count("duplicate"), { status: 200, text: undefined })
  })
}

export const wechatRoutes = (options: WeChatRouteOptions): ReadonlyArray<WebhookRoute<WeChatRouteRequirements>> => {
  const token = Redacted.value(options.token)
  const window = options.freshness ?? DEFAULT_FRESHNESS
  const replayTtlMillis = replayTtlMillisFor(window)
  const passiveWait = Duration.millis(options.passiveWaitMillis ?? 4_500)

  const signed = (query: URLSearchParams) =>
    verifyPlainSignature(token, query.get("timestamp") ?? "", query.get("nonce") ?? "", query.get("signature") ?? "")

  /** Whole seconds only; anything else (empty, signs, fractions) is as stale as a missing timestamp. */
  const fresh = (timestamp: string) =>
    Effect.map(Clock.currentTimeMillis, (now) =>
      /^\d{1,12}$/.test(timestamp) && freshnessOf(now, Number(timestamp) * 1000, window) === "fresh")

  /** One fresh claim per nonce for the whole window; `unavailable` when the store cannot answer. */
  const claimNonce = Effect.fnUntraced(function*(nonce: string) {
    if (nonce.trim() === "" || nonce.length > MAX_NONCE_LENGTH) return "replay" as const
    const store = yield* ReplayStore
    return yield* store.claim(`wechat:nonce:${nonce}`, replayTtlMillis).pipe(
      Effect.map((outcome) => (isAccepted(outcome) ? "claimed" as const : "replay" as const)),
      Effect.catchTag("StoreError", (e) =>
        Effect.as(Effect.logWarning("WeChat nonce claim failed; request refused", e.reason), "unavailable" as const))
    )
  })

  const verify: WebhookRoute<WeChatRouteRequirements>["handle"] = (request) =>
    Effect.gen(function*() {
      const ok = signed(request.query) && (yield* fresh(request.query.get("timestamp") ?? ""))
      return ok
        ? { status: 200, headers: { "x-content-type-options": "nosniff" }, body: request.query.get("echostr") ?? "" }
        : text(403, "Verification failed")
    })

  /** A passive text reply, encrypted in safe mode. */
  const passive = (encrypted: boolean, toUser: string, fromUser: string, content: string) =>
    Effect.map(Clock.currentTimeMillis, (now): RawResponse => {
      const seconds = Math.floor(now / 1000)
      const xml = textReplyXml({ toUser, fromUser, content, createTime: seconds })
      if (!encrypted || Either.isLeft(options.aes)) return { status: 200, headers: XML_HEADERS, body: xml }
      const { key, appId } = options.aes.right
      return { status: 200, headers: XML_HEADERS, body: encryptedReplyXml(xml, { token, key, appId, timestamp: String(seconds) }) }
    })

  /** Customer Service delivery of late or overflowing text; failures are logged (never the URL). */
  const sendLater = (openId: string, pieces: ReadonlyArray<string>) =>
    Effect.forEach(pieces, (piece) => options.api.sendText(openId, piece), { discard: true }).pipe(
      Effect.catchTag("WeChatApiError", (e) =>
        Effect.logWarning("WeChat Customer Service delivery failed", e.reason, e.errcode ?? "", e.detail ?? ""))
    )

  const receive = Effect.fnUntraced(function*(request: RawRequest) {
    const query = request.query
    if (!signed(query)) {
      yield* count("rejected")
      return text(401, "Invalid Signature")
    }
    if (!(yield* fresh(query.get("timestamp") ?? ""))) {
      yield* count("rejected")
      return text(403, "Stale Request")
    }
    const nonce = yield* claimNonce(query.get("nonce") ?? "")
    if (nonce !== "claimed") {
      yield* count(nonce === "replay" ? "rejected" : "refused")
      return nonce === "replay" ? text(403, "Replay Rejected") : text(503, "Service Unavailable")
    }

    const decoded = decodeBody(query, request.body, token, options.aes)
    if (Either.isLeft(decoded)) {
      const { status, text: body, reason } = decoded.left
      if (reason.startsWith("AES config")) yield* Effect.logError(`WeChat safe-mode request refused: ${reason}`)
      else yield* Effect.logDebug(`WeChat request refused: ${reason}`)
      yield* count(status === 401 ? "rejected" : "malformed")
      return text(status, body)
    }
    const { fields, encrypted } = decoded.right
    const normalised = normalise(fields)
    if (normalised._tag === "Ignore") {
      yield* Effect.logDebug(`WeChat message acknowledged without routing: ${normalised.why}`)
      yield* count("ignored")
      return text(200, SUCCESS)
    }
    if (normalised._tag === "LogOnly") {
      yield* Effect.logInfo(`WeChat ${normalised.event} from ${normalised.sender}${normalised.detail ? ` (${normalised.detail})` : ""}`)
      yield* count("ignored")
      return text(200, SUCCESS)
    }

    const { request: command, eventKey, toUser } = normalised
    const openId = command.senderId
    const note = untrustedNote(options.allowedUsers, openId)
    if (note !== undefined) yield* Effect.logDebug(`Untrusted WeChat message from user=${openId} (${note})`)

    const context = yield* Effect.context<PlatformHealth>()
    // The fork is a child of this request's fiber, which stays alive through `after`.
    const fiber = yield* Effect.fork(Effect.either(handleInbound({ request: command, eventKey, replayTtlMillis })))
    const early = yield* Fiber.await(fiber).pipe(Effect.timeoutOption(passiveWait))

    if (Option.isNone(early)) {
      const deliverLate = Effect.gen(function*() {
        const settled = yield* settle(yield* Fiber.await(fiber))
        if (settled.text !== undefined) yield* sendLater(openId, splitUtf8(settled.text, MAX_TEXT_BYTES))
      }).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber)), Effect.provide(context))
      return { ...(yield* passive(encrypted, openId, toUser, WORKING_TEXT)), after: deliverLate } satisfies RawResponse
    }
    const settled = yield* settle(early.value)
    if (settled.status !== 200) return text(settled.status, settled.status === 503 ? "Service Unavailable" : "Internal Error")
    if (settled.text === undefined) return text(200, SUCCESS)
    const [first, ...rest] = splitUtf8(settled.text, MAX_TEXT_BYTES)
    const response = yield* passive(encrypted, openId, toUser, first ?? "")
    return rest.length === 0 ? response : { ...response, after: sendLater(openId, rest).pipe(Effect.provide(context)) }
  })

  return [
    { method: "GET", path: options.path, handle: verify },
    { method: "POST", path: options.path, handle: receive }
  ]
}
