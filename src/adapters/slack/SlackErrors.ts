import { ErrorCode } from "@slack/web-api"

/**
 * What Slack's error answers mean, in one place for every Slack call: our Web API client
 * (SlackApi.ts), the OAuth code exchange (OAuthExchange.ts), Socket Mode's
 * `apps.connections.open` (SocketModeClient.ts) and the OAuth callback's `error` word
 * (OAuthRoutes.ts). Spec platforms-slack-feishu.md §2.5 `classify_error_health`.
 */

/** A Slack error word (`invalid_auth`, `team_disabled`...) that may be logged or stored as is. */
const SAFE_CODE = /^[a-z0-9_.]{1,64}$/

/** `value` when it is a safe Slack error word, else `fallback`: never raw input in a log. */
export const safeCode = (value: unknown, fallback = "unrecognised"): string =>
  typeof value === "string" && SAFE_CODE.test(value) ? value : fallback

/** Codes that mean the token is refused: the installation stops resolving until a reinstall. */
export const AUTH_ERRORS: ReadonlySet<string> = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"])

const RATE_LIMIT_ERRORS: ReadonlySet<string> = new Set(["ratelimited", "rate_limited"])

/** Slack's own trouble: a later attempt may work. */
const TRANSIENT_ERRORS: ReadonlySet<string> = new Set(["fatal_error", "internal_error", "service_unavailable", "request_timeout"])

export type SlackErrorKind = "auth-invalid" | "rate-limited" | "unreachable" | "rejected"

/** What an `{"ok": false, "error": code}` answer means. */
export const kindOfCode = (code: string): SlackErrorKind =>
  AUTH_ERRORS.has(code)
    ? "auth-invalid"
    : RATE_LIMIT_ERRORS.has(code)
    ? "rate-limited"
    : TRANSIENT_ERRORS.has(code)
    ? "unreachable"
    : "rejected"

/** A failed @slack/web-api call, read without trusting its shape; `code` is always safe to log. */
export type SdkFailure =
  /** Slack answered `ok: false`. */
  | { readonly _tag: "Platform"; readonly code: string; readonly kind: SlackErrorKind }
  /** A non-2xx HTTP answer (`status` 0 when the SDK gave none). */
  | { readonly _tag: "Http"; readonly status: number }
  | { readonly _tag: "RateLimited" }
  /** No answer: network failure or timeout. */
  | { readonly _tag: "Unreachable" }
  /** Anything else (an answer the SDK could not read, a bug). */
  | { readonly _tag: "Unexpected" }

export const sdkFailureOf = (error: unknown): SdkFailure => {
  const e = error as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown } | null | undefined
  switch (e?.code) {
    case ErrorCode.PlatformError: {
      const code = safeCode(e.data?.error)
      return { _tag: "Platform", code, kind: kindOfCode(code) }
    }
    case ErrorCode.HTTPError:
      return { _tag: "Http", status: typeof e.statusCode === "number" ? e.statusCode : 0 }
    case ErrorCode.RateLimitedError:
      return { _tag: "RateLimited" }
    case ErrorCode.RequestError:
      return { _tag: "Unreachable" }
  }
  // The Web API client retries a 429 itself, after rejecting the attempt with this plain Error.
  if (error instanceof Error && error.message.startsWith("A rate limit was exceeded")) return { _tag: "RateLimited" }
  return { _tag: "Unexpected" }
}
