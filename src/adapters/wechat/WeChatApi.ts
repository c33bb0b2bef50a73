import { Clock, Effect, Option, Redacted, Ref, Schema } from "effect"
import { PlatformHealth } from "../../ports/PlatformHealth.js"
import { callPlatformApi, errorDetail, type PlatformCallError } from "../http/PlatformApi.js"
import { MAX_TEXT_BYTES, splitUtf8 } from "./Reply.js"

/**
 * WeChat's Customer Service API and its access token (spec §6.10; bugs X4 and X8 fixed).
 *
 * - The token comes from `GET <apiRoot>/cgi-bin/token?grant_type=client_credential&appid&secret`
 *   (values URL-encoded), is cached and refreshed early: after 90 % of `expires_in`, and at least
 *   5 minutes before it expires (half the lifetime for very short ones). Only one refresh runs at
 *   a time; concurrent callers wait for it and share its result. When a refresh fails while the
 *   old token has not expired yet, the old token is still used.
 * - A send answered with errcode 40001/42001/40014 (invalid, expired or malformed token) clears
 *   the cached token, fetches a new one and sends once more; if that also fails the installation's
 *   health is marked `invalid_token`.
 * - `sendText` splits text over 2048 bytes into several messages (never truncates). JSON is
 *   written by JSON.stringify, which leaves non-ASCII characters as they are (no `\u` escapes).
 * - `withToken` runs any token-bearing call with that same refresh-once rule (media upload,
 *   Customer Service messages of any type through `sendMessage`).
 * - URLs carry the secret or the token: they are never logged or put into an error.
 */
export class WeChatApiError extends Schema.TaggedError<WeChatApiError>()("WeChatApiError", {
  reason: Schema.Literal("not-configured", "token-unavailable", "token-invalid", "rejected", "unreachable"),
  errcode: Schema.optional(Schema.Number),
  /** The HTTP status when WeChat answered with a non-2xx one. */
  status: Schema.optional(Schema.Number),
  /** Token-free excerpt of WeChat's `errmsg` or of the HTTP failure. */
  detail: Schema.optional(Schema.String)
}) {}

export interface WeChatApiOptions {
  readonly apiRoot: string
  readonly appId: Option.Option<string>
  readonly appSecret: Option.Option<Redacted.Redacted>
  readonly timeoutMillis?: number
}

export interface WeChatApi {
  /** A valid access token (cached, refreshed early, one refresh at a time). */
  readonly accessToken: Effect.Effect<Redacted.Redacted<string>, WeChatApiError, PlatformHealth>
  /** Sends `text` to the user `openId` as one or more text messages. */
  readonly sendText: (openId: string, text: string) => Effect.Effect<void, WeChatApiError, PlatformHealth>
  /** Sends one Customer Service message (`{touser, msgtype, ...}`: text, image by media_id...). */
  readonly sendMessage: (message: object) => Effect.Effect<void, WeChatApiError, PlatformHealth>
  /**
   * Runs `call` with the access token and gives back its JSON body when its errcode is absent or 0.
   * A token errcode clears the token and runs `call` once more with a fresh one (the first call
   * did nothing); any other errcode fails `rejected` with it.
   */
  readonly withToken: <E>(
    call: (token: Redacted.Redacted<string>) => Effect.Effect<unknown, E, PlatformHealth>
  ) => Effect.Effect<unknown, E | WeChatApiError, PlatformHealth>
}

/** errcodes meaning "this access token is not valid (any more)". */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 42001, 40014])
/** errcodes of the token endpoint meaning the app's credentials are wrong. */
const CREDENTIAL_ERRCODES: ReadonlySet<number> = new Set([40001, 40002, 40013, 40125, 41002, 41004])

interface CachedToken {
  readonly token: Redacted.Redacted<string>
  readonly refreshAtMillis: number
  readonly expiresAtMillis: number
}

/** When to refresh a token that lives `seconds`: 90 % of it, at least min(5 min, half) early. */
export const refreshAfterSeconds = (seconds: number): number =>
  seconds - Math.max(seconds * 0.1, Math.min(300, seconds * 0.5))

/**
 * The Customer Service text messages `sendText` sends for `text`: one per piece of at most 2048
 * bytes, in order (none for blank text). The delivery sends them one by one itself, to tell a
 * failure after the first piece (TextParts.ts) from one before.
 */
export const textMessages = (openId: string, text: string): ReadonlyArray<object> =>
  splitUtf8(text, MAX_TEXT_BYTES).map((content) => ({ touser: openId, msgtype: "text", text: { content } }))

const errcodeOf = (body: unknown): number | undefined => {
  const code = (body as { errcode?: unknown } | undefined)?.errcode
  return typeof code === "number" && Number.isFinite(code) ? code : undefined
}

const fromCallError = (reason: "token-unavailable" | "rejected") => (e: PlatformCallError) =>
  new WeChatApiError({
    reason: e.reason === "unreachable" ? "unreachable" : e.reason === "auth-invalid" ? "token-invalid" : reason,
    status: e.status,
    detail: e.detail ?? (e.status === undefined ? e.reason : `HTTP ${e.status}`)
  })

export const makeWeChatApi = (options: WeChatApiOptions): Effect.Effect<WeChatApi> =>
  Effect.gen(function*() {
    const root = options.apiRoot.replace(/\/+$/, "")
    const timeoutMillis = options.timeoutMillis ?? 10_000
    const cache = yield* Ref.make(Option.none<CachedToken>())
    const refreshing = yield* Effect.makeSemaphore(1)

    const fetchToken = Effect.gen(function*() {
      if (Option.isNone(options.appId) || Option.isNone(options.appSecret)) {
        return yield* new WeChatApiError({ reason: "not-configured", detail: "app id or app secret missing" })
      }
      const url = `${root}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(options.appId.value)}` +
        `&secret=${encodeURIComponent(Redacted.value(options.appSecret.value))}`
      const answer = yield* callPlatformApi({ platform: "wechat", method: "GET", url, timeoutMillis, idempotent: true }).pipe(
        Effect.mapError(fromCallError("token-unavailable"))
      )
      const body = answer.body as { access_token?: unknown; expires_in?: unknown } | undefined
      const token = body?.access_token
      if (typeof token !== "string" || token === "") {
        const errcode = errcodeOf(body)
        if (errcode !== undefined && CREDENTIAL_ERRCODES.has(errcode)) {
          yield* Effect.flatMap(PlatformHealth, (h) => h.record("wechat", "", "invalid_token", `token endpoint errcode ${errcode}`))
        }
        return yield* new WeChatApiError({ reason: "token-unavailable", errcode, detail: errorDetail(body) ?? "no access_token" })
      }
      const expiresIn = typeof body?.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 7200
      const now = yield* Clock.currentTimeMillis
      const cached: CachedToken = {
        token: Redacted.make(token),
        refreshAtMillis: now + refreshAfterSeconds(expiresIn) * 1000,
        expiresAtMillis: now + expiresIn * 1000
      }
      yield* Ref.set(cache, Option.some(cached))
      return cached.token
    })

    /** The cached token while it is before its refresh time (or `stale`: before its expiry). */
    const cachedToken = Effect.fnUntraced(function*(stale: boolean) {
      const now = yield* Clock.currentTimeMillis
      const cached = yield* Ref.get(cache)
      return Option.filter(cached, (c) => now < (stale ? c.expiresAtMillis : c.refreshAtMillis)).pipe(Option.map((c) => c.token))
    })

    const accessToken = Effect.gen(function*() {
      const hit = yield* cachedToken(false)
      if (Option.isSome(hit)) return hit.value
      return yield* refreshing.withPermits(1)(
        Effect.gen(function*() {
          const again = yield* cachedToken(false) // refreshed by the caller we waited for
          if (Option.isSome(again)) return again.value
          return yield* fetchToken.pipe(
            Effect.catchTag("WeChatApiError", (error) =>
              Effect.flatMap(cachedToken(true), (old) =>
                Option.isSome(old)
                  ? Effect.as(Effect.logWarning("WeChat token refresh failed; using the current token", error.reason), old.value)
                  : Effect.fail(error)))
          )
        })
      )
    })

    /** Forgets `token` unless a newer one has replaced it meanwhile. */
    const invalidate = (token: Redacted.Redacted<string>) =>
      Ref.update(cache, Option.filter((c) => Redacted.value(c.token) !== Redacted.value(token)))

    const post = (token: Redacted.Redacted<string>, message: object) =>
      callPlatformApi({
        platform: "wechat",
        method: "POST",
        url: `${root}/cgi-bin/message/custom/send?access_token=${encodeURIComponent(Redacted.value(token))}`,
        json: message,
        timeoutMillis
      }).pipe(Effect.mapError(fromCallError("rejected")), Effect.map((answer) => answer.body))

    const withToken = <E>(call: (token: Redacted.Redacted<string>) => Effect.Effect<unknown, E, PlatformHealth>) =>
      Effect.gen(function*() {
        const token = yield* accessToken
        const body = yield* call(token)
        const errcode = errcodeOf(body)
        if (errcode === undefined || errcode === 0) return body
        if (!TOKEN_ERRCODES.has(errcode)) {
          return yield* new WeChatApiError({ reason: "rejected", errcode, detail: errorDetail(body) })
        }
        // The token was refused: fetch a new one and call once more (the first call did nothing).
        yield* invalidate(token)
        const markInvalid = Effect.flatMap(PlatformHealth, (h) => h.record("wechat", "", "invalid_token", `errcode ${errcode}`))
        const fresh = yield* accessToken.pipe(Effect.tapError(() => markInvalid))
        const answer = yield* call(fresh)
        const again = errcodeOf(answer)
        if (again === undefined || again === 0) return answer
        if (TOKEN_ERRCODES.has(again)) {
          yield* invalidate(fresh)
          yield* markInvalid
          return yield* new WeChatApiError({ reason: "token-invalid", errcode: again })
        }
        return yield* new WeChatApiError({ reason: "rejected", errcode: again, detail: errorDetail(answer) })
      })

    const sendMessage = (message: object) => Effect.asVoid(withToken((token) => post(token, message)))

    const sendText = (openId: string, text: string) => Effect.forEach(textMessages(openId, text), sendMessage, { discard: true })

    return { accessToken, sendText, sendMessage, withToken }
  })
