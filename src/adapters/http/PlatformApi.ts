import { Duration, Effect, Schema } from "effect"
import { request } from "undici"
import { type HealthState, PlatformHealth } from "../../ports/PlatformHealth.js"
import { jsonOrUndefined } from "./JsonBody.js"

/**
 * Outbound JSON calls to a platform API (LINE, WhatsApp Graph, WeChat), with the rules every
 * platform adapter shares:
 * - bounded by a timeout; redirects are not followed; the URL (which may carry a token, WeChat's
 *   `access_token`) and the headers are never logged or put in an error;
 * - classified as the reference's relay classifier does (spec §8.5): 2xx ok, 401/410 invalid
 *   credentials, 429 rate limited, 408/5xx transient, anything else rejected;
 * - 429 and transient answers are retried with backoff (429 honours `Retry-After`, capped), a
 *   network failure only when the request certainly never reached the server or the caller says
 *   the call is idempotent (LINE's `X-Line-Retry-Key`): a message is never sent twice by us;
 * - the installation's health is recorded: 401 -> invalid_token, 410 -> revoked (decisions.md:
 *   visible in /readyz instead of silently disabling the adapter), success -> ok.
 */
export class PlatformCallError extends Schema.TaggedError<PlatformCallError>()("PlatformCallError", {
  reason: Schema.Literal("unreachable", "auth-invalid", "rate-limited", "rejected", "malformed"),
  platform: Schema.String,
  status: Schema.optional(Schema.Number),
  /** A bounded, token-free excerpt of the platform's error (e.g. LINE `message`, WeChat `errmsg`). */
  detail: Schema.optional(Schema.String),
  /**
   * For `unreachable` without an answer: `no` when no attempt can have reached the platform
   * (connection refused, DNS...), `maybe` when one may have (a timeout after sending). A delivery
   * retries a `no` later; a `maybe` is an unknown outcome.
   */
  sent: Schema.optional(Schema.Literal("no", "maybe"))
}) {}

export interface ApiCall {
  readonly platform: string
  /** Health is recorded under this installation ("" for single-installation platforms). */
  readonly installation?: string
  readonly method: "GET" | "POST"
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  readonly json?: unknown
  readonly timeoutMillis?: number
  /** Extra attempts after the first for retryable outcomes (default 2). */
  readonly retries?: number
  /** The platform deduplicates repeats of this call, so an unknown outcome may be retried. */
  readonly idempotent?: boolean
  /** First backoff step (default 500 ms, doubling, at most 8 s). */
  readonly backoffMillis?: number
}

export interface ApiAnswer {
  readonly status: number
  /** Parsed JSON, or `undefined` for an empty or non-JSON body. */
  readonly body: unknown
}

const MAX_DETAIL = 200
const MAX_RETRY_AFTER_SECONDS = 30

type Attempt =
  | { readonly _tag: "Answer"; readonly status: number; readonly body: unknown; readonly retryAfter: number | undefined }
  | { readonly _tag: "NetworkError"; readonly neverSent: boolean }

const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

const causeCode = (error: unknown): string | undefined => {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined
  const code = e?.code ?? e?.cause?.code
  return typeof code === "string" ? code : undefined
}

/**
 * Whether a failed HTTP call certainly never reached the other side (refused connection, no such
 * host, no route): only then is a resend of a non-idempotent call safe. Any other failure (a
 * timeout, a reset) may have been received.
 */
export const isNeverSent = (error: unknown): boolean => NEVER_SENT.has(causeCode(error) ?? "")

const parseRetryAfter = (value: string | null): number | undefined => {
  if (value === null) return undefined
  const seconds = Number(value.trim())
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, MAX_RETRY_AFTER_SECONDS) : undefined
}

const headerValue = (value: string | Array<string> | undefined): string | null =>
  typeof value === "string" ? value : Array.isArray(value) ? value[0] ?? null : null

/** One exchange with undici's `request` (several times cheaper than `fetch`); redirects are not followed. */
const exchange = async (call: ApiCall, signal: AbortSignal): Promise<Attempt> => {
  const hasBody = call.json !== undefined
  const res = await request(call.url, {
    method: call.method,
    headers: hasBody ? { "content-type": "application/json; charset=utf-8", ...call.headers } : { ...call.headers },
    body: hasBody ? JSON.stringify(call.json) : null,
    signal
  })
  const text = await res.body.text()
  const body = jsonOrUndefined(text)
  const retryAfter = parseRetryAfter(headerValue(res.headers["retry-after"]))
  return { _tag: "Answer", status: res.statusCode, body, retryAfter }
}

/**
 * One attempt, bounded by the call's timeout (request and body alike) and aborted when its fiber
 * is interrupted. One AbortController and one timer, rather than `tryPromise` + `timeoutFail`:
 * the latter races a forked sleeper per call, and this runs for every platform send.
 */
const attempt = (call: ApiCall): Effect.Effect<Attempt> =>
  Effect.async<Attempt>((resume) => {
    const controller = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, call.timeoutMillis ?? 10_000)
    exchange(call, controller.signal).then(
      (answer) => {
        clearTimeout(timer)
        resume(Effect.succeed(answer))
      },
      (error: unknown) => {
        clearTimeout(timer)
        resume(Effect.succeed({ _tag: "NetworkError", neverSent: !timedOut && isNeverSent(error) }))
      }
    )
    return Effect.sync(() => {
      clearTimeout(timer)
      controller.abort()
    })
  })

/** A short, token-free excerpt of a platform error body, for logs and diagnostics. */
export const errorDetail = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const record = body as Record<string, unknown>
  const nested = typeof record["error"] === "object" && record["error"] !== null ? record["error"] as Record<string, unknown> : {}
  const candidate = record["message"] ?? record["errmsg"] ?? nested["message"] ?? record["description"]
  return typeof candidate === "string" ? candidate.replace(/https?:\/\/\S+/g, "<url>").slice(0, MAX_DETAIL) : undefined
}

const healthOf = (status: number): HealthState | undefined =>
  status === 401 ? "invalid_token" : status === 410 ? "revoked" : status === 429 ? "rate_limited" : undefined

const backoff = (call: ApiCall, n: number) => Duration.millis(Math.min((call.backoffMillis ?? 500) * 2 ** n, 8_000))

export const callPlatformApi: (call: ApiCall) => Effect.Effect<ApiAnswer, PlatformCallError, PlatformHealth> =
  Effect.fnUntraced(function*(call: ApiCall) {
    const health = yield* PlatformHealth
    const installation = call.installation ?? ""
    const retries = Math.max(0, call.retries ?? 2)
    const fail = (reason: PlatformCallError["reason"], status?: number, body?: unknown) =>
      new PlatformCallError({ reason, platform: call.platform, status, detail: errorDetail(body) })
    let maybeSent = false
    for (let n = 0;; n++) {
      const result = yield* attempt(call)
      const last = n >= retries
      if (result._tag === "NetworkError") {
        maybeSent ||= !result.neverSent
        if (!last && (result.neverSent || call.idempotent === true)) {
          yield* Effect.sleep(backoff(call, n))
          continue
        }
        yield* health.record(call.platform, installation, "unreachable", "no answer")
        return yield* new PlatformCallError({ reason: "unreachable", platform: call.platform, sent: maybeSent ? "maybe" : "no" })
      }
      const { status, body } = result
      if (status >= 200 && status < 300) {
        yield* health.record(call.platform, installation, "ok", `HTTP ${status}`)
        return { status, body }
      }
      const state = healthOf(status)
      if (state !== undefined) yield* health.record(call.platform, installation, state, `HTTP ${status}`)
      if (status === 401 || status === 410) return yield* fail("auth-invalid", status, body)
      const retryable = status === 429 || status === 408 || status >= 500
      if (retryable && !last) {
        yield* Effect.sleep(status === 429 && result.retryAfter !== undefined ? Duration.seconds(result.retryAfter) : backoff(call, n))
        continue
      }
      if (status !== 429) yield* health.record(call.platform, installation, status >= 500 ? "unreachable" : "rejected", `HTTP ${status}`)
      return yield* fail(status === 429 ? "rate-limited" : retryable ? "unreachable" : "rejected", status, body)
    }
  })
