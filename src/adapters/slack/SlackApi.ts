import { Duration, Effect, Redacted, Schema } from "effect"
import { request } from "undici"
import { isRecord, type JsonRecord } from "../../domain/render/Values.js"
import { jsonOrUndefined } from "../http/JsonBody.js"
import { isNeverSent } from "../http/PlatformApi.js"
import { kindOfCode, safeCode } from "./SlackErrors.js"

/**
 * Calls to the Slack Web API (`<apiRoot><method>`, OPENCLAW_CONNECTOR_SLACK_API_ROOT, default
 * `https://slack.com/api/`) with a bot token chosen by the caller for the workspace concerned.
 * - The token goes in `Authorization: Bearer`, never in the URL; neither the token nor an upload
 *   URL is ever logged or put in an error.
 * - Slack answers HTTP 200 with `{"ok": false, "error": "<code>"}` for most failures: the code is
 *   classified (SlackErrors.ts): a refused token or HTTP 401/403 -> `auth-invalid`; `ratelimited`
 *   or HTTP 429 -> `rate-limited` (with `Retry-After`); Slack's own errors, 5xx and no answer ->
 *   `unreachable`; anything else -> `rejected`.
 * - Bounded by a timeout; redirects are not followed. A 429 is retried only when the caller
 *   allows retries (honouring `Retry-After`, capped); a network failure only when the request
 *   certainly never reached Slack: nothing is posted twice by us.
 */
export class SlackCallError extends Schema.TaggedError<SlackCallError>()("SlackCallError", {
  reason: Schema.Literal("auth-invalid", "rate-limited", "rejected", "unreachable", "malformed"),
  method: Schema.String,
  /** Slack's `error` code, or `http_<status>` / `no_answer` (never a token or URL). */
  code: Schema.String,
  status: Schema.optional(Schema.Number),
  /** For `unreachable` without an answer: whether the request may have reached Slack. */
  sent: Schema.optional(Schema.Literal("no", "maybe"))
}) {
  override get message(): string {
    return `Slack ${this.method} failed: ${this.code}`
  }
}

export interface SlackApiOptions {
  /** Ends with `/` or not; the method name is appended. */
  readonly apiRoot: string
  readonly timeoutMillis?: number
  readonly uploadTimeoutMillis?: number
}

export interface SlackCall {
  /** `chat.postMessage`, `auth.test`... */
  readonly method: string
  readonly token: Redacted.Redacted<string>
  /** JSON body (chat.*) or form fields (auth.test, files.*); none for an empty POST. */
  readonly json?: unknown
  readonly form?: Readonly<Record<string, string>>
  /** Extra attempts after a 429 or a never-sent network failure (default 0). */
  readonly retries?: number
}

export interface SlackApi {
  /** The JSON answer of a call Slack confirmed with `ok: true`. */
  readonly call: (call: SlackCall) => Effect.Effect<JsonRecord, SlackCallError>
  /** POSTs raw bytes to an upload URL from `files.getUploadURLExternal` (pre-signed: no token sent). */
  readonly upload: (url: string, bytes: Uint8Array, contentType: string) => Effect.Effect<void, SlackCallError>
}

const MAX_RETRY_AFTER_SECONDS = 10

type Attempt =
  | { readonly _tag: "Answer"; readonly status: number; readonly body: unknown; readonly retryAfter: number | undefined }
  | { readonly _tag: "NetworkError"; readonly neverSent: boolean }

const retryAfterOf = (value: string | Array<string> | undefined): number | undefined => {
  const raw = Array.isArray(value) ? value[0] : value
  const seconds = raw === undefined ? NaN : Number(raw.trim())
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, MAX_RETRY_AFTER_SECONDS) : undefined
}

const send = (
  url: string,
  init: { readonly headers: Record<string, string>; readonly body: string | Uint8Array | null },
  timeoutMillis: number
): Effect.Effect<Attempt> =>
  Effect.tryPromise({
    try: async (signal) => {
      const res = await request(url, { method: "POST", headers: init.headers, body: init.body, signal })
      const body = jsonOrUndefined(await res.body.text())
      return { _tag: "Answer", status: res.statusCode, body, retryAfter: retryAfterOf(res.headers["retry-after"]) } as Attempt
    },
    catch: (error) => error
  }).pipe(
    Effect.timeoutFail({ duration: Duration.millis(timeoutMillis), onTimeout: () => "timeout" as const }),
    Effect.catchAll((error) =>
      Effect.succeed<Attempt>({ _tag: "NetworkError", neverSent: error !== "timeout" && isNeverSent(error) })
    )
  )

/** Classifies one answer: the body on `ok: true`, else the failure and whether a retry may help. */
const classify = (method: string, status: number, body: unknown): JsonRecord | SlackCallError => {
  const fail = (reason: SlackCallError["reason"], code: string) => new SlackCallError({ reason, method, code, status })
  if (status === 429) return fail("rate-limited", "ratelimited")
  if (status === 401 || status === 403) return fail("auth-invalid", `http_${status}`)
  if (status >= 500) return fail("unreachable", `http_${status}`)
  if (status < 200 || status >= 300) return fail("rejected", `http_${status}`)
  if (!isRecord(body) || typeof body["ok"] !== "boolean") return fail("malformed", "malformed_answer")
  if (body["ok"] === true) return body
  const code = safeCode(body["error"], "unknown")
  return fail(kindOfCode(code), code)
}

export const makeSlackApi = (options: SlackApiOptions): SlackApi => {
  const root = options.apiRoot.endsWith("/") ? options.apiRoot : `${options.apiRoot}/`
  const timeout = options.timeoutMillis ?? 10_000

  const call = (c: SlackCall): Effect.Effect<JsonRecord, SlackCallError> =>
    Effect.gen(function*() {
      const headers: Record<string, string> = { authorization: `Bearer ${Redacted.value(c.token)}` }
      let body: string | null = null
      if (c.json !== undefined) {
        headers["content-type"] = "application/json; charset=utf-8"
        body = JSON.stringify(c.json)
      } else if (c.form !== undefined) {
        headers["content-type"] = "application/x-www-form-urlencoded"
        body = new URLSearchParams(c.form as Record<string, string>).toString()
      }
      const retries = Math.max(0, c.retries ?? 0)
      let maybeSent = false
      for (let n = 0;; n++) {
        const attempt = yield* send(`${root}${c.method}`, { headers, body }, timeout)
        const last = n >= retries
        if (attempt._tag === "NetworkError") {
          maybeSent ||= !attempt.neverSent
          if (!last && attempt.neverSent) {
            yield* Effect.sleep(Duration.millis(250 * 2 ** n))
            continue
          }
          return yield* new SlackCallError({ reason: "unreachable", method: c.method, code: "no_answer", sent: maybeSent ? "maybe" : "no" })
        }
        const result = classify(c.method, attempt.status, attempt.body)
        if (!(result instanceof SlackCallError)) return result
        if (result.reason === "rate-limited" && !last) {
          yield* Effect.sleep(Duration.seconds(attempt.retryAfter ?? 1))
          continue
        }
        return yield* result
      }
    })

  const upload = (url: string, bytes: Uint8Array, contentType: string) =>
    Effect.gen(function*() {
      const attempt = yield* send(url, { headers: { "content-type": contentType || "application/octet-stream" }, body: bytes }, options.uploadTimeoutMillis ?? 60_000)
      if (attempt._tag === "NetworkError") {
        return yield* new SlackCallError({ reason: "unreachable", method: "file upload", code: "no_answer", sent: attempt.neverSent ? "no" : "maybe" })
      }
      if (attempt.status >= 200 && attempt.status < 300) return
      const reason = attempt.status === 429 ? "rate-limited" : attempt.status >= 500 ? "unreachable" : "rejected"
      return yield* new SlackCallError({ reason, method: "file upload", code: `http_${attempt.status}`, status: attempt.status })
    })

  return { call, upload }
}
