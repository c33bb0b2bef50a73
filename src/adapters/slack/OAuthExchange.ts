import { type Logger, LogLevel, WebClient } from "@slack/web-api"
import { Effect, Redacted, Schema } from "effect"
import { sdkFailureOf } from "./SlackErrors.js"

/**
 * The OAuth v2 code exchange (`oauth.v2.access`, spec platforms-slack-feishu §2.8 step 5) through
 * @slack/web-api: form-encoded `client_id, client_secret, code, redirect_uri` to
 * `<apiRoot>oauth.v2.access`, no retries (a code is single use, and the user is waiting), a 15 s
 * timeout, redirects refused (the SDK's `redirect: "error"`). Unlike the reference, `ok: false`
 * is a failure, and the answer is decoded: a bot `access_token` and a workspace (`team.id`) are
 * required. An org-wide Enterprise Grid install (no team) is refused as `unsupported`: its events
 * carry per-workspace team ids that would never resolve to the record (§12 bug 12).
 *
 * Failures carry a short code that is safe to log (a Slack error word, `http_<status>`,
 * `unreachable`); never the client secret, the code, a token or a response body.
 */
export class OAuthExchangeError extends Schema.TaggedError<OAuthExchangeError>()("OAuthExchangeError", {
  reason: Schema.Literal("rejected", "unreachable", "malformed", "unsupported"),
  code: Schema.String
}) {
  override get message(): string {
    return `Slack oauth.v2.access failed (${this.reason}: ${this.code})`
  }
}

/** What the connector keeps from a successful exchange (the token stays Redacted). */
export interface OAuthGrant {
  readonly teamId: string
  readonly botToken: Redacted.Redacted<string>
  /** Non-secret facts for the installation's metadata (empty values omitted). */
  readonly metadata: Readonly<Record<string, string>>
  /** Slack token rotation is on for the app (`refresh_token`/`expires_in` present): not supported. */
  readonly rotating: boolean
}

export interface ExchangeRequest {
  readonly apiRoot: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted
  readonly code: string
  readonly redirectUri: string
  readonly timeoutMillis?: number
}

const Id = Schema.Struct({ id: Schema.optional(Schema.NullOr(Schema.String)), name: Schema.optional(Schema.NullOr(Schema.String)) })

const AccessAnswer = Schema.Struct({
  ok: Schema.Literal(true),
  access_token: Schema.String,
  token_type: Schema.optional(Schema.NullOr(Schema.String)),
  scope: Schema.optional(Schema.NullOr(Schema.String)),
  bot_user_id: Schema.optional(Schema.NullOr(Schema.String)),
  app_id: Schema.optional(Schema.NullOr(Schema.String)),
  team: Schema.optional(Schema.NullOr(Id)),
  enterprise: Schema.optional(Schema.NullOr(Id)),
  authed_user: Schema.optional(Schema.NullOr(Id)),
  refresh_token: Schema.optional(Schema.NullOr(Schema.String)),
  expires_in: Schema.optional(Schema.NullOr(Schema.Number))
})

/** Slack team ids are short alphanumerics (`T0123ABC`); anything else is not a workspace id we trust. */
const TEAM_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Silences the SDK's own logger: its messages may carry request details we do not want in logs. */
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {}
}

const classify = (error: unknown): OAuthExchangeError => {
  const failure = sdkFailureOf(error)
  switch (failure._tag) {
    case "Platform":
      return new OAuthExchangeError({ reason: "rejected", code: failure.code })
    case "Http":
      return new OAuthExchangeError({
        reason: failure.status >= 500 ? "unreachable" : "rejected",
        code: `http_${failure.status === 0 ? "unknown" : failure.status}`
      })
    case "RateLimited":
      return new OAuthExchangeError({ reason: "unreachable", code: "ratelimited" })
    case "Unreachable":
      return new OAuthExchangeError({ reason: "unreachable", code: "unreachable" })
    case "Unexpected":
      return new OAuthExchangeError({ reason: "malformed", code: "unexpected_answer" })
  }
}

const text = (value: string | null | undefined): string => (value ?? "").trim()

const grantOf = (answer: typeof AccessAnswer.Type): Effect.Effect<OAuthGrant, OAuthExchangeError> => {
  const token = answer.access_token.trim()
  if (token === "") return Effect.fail(new OAuthExchangeError({ reason: "malformed", code: "bot_token_missing" }))
  const teamId = text(answer.team?.id)
  if (teamId === "") {
    const code = text(answer.enterprise?.id) === "" ? "workspace_id_missing" : "org_install_unsupported"
    return Effect.fail(new OAuthExchangeError({ reason: code === "org_install_unsupported" ? "unsupported" : "malformed", code }))
  }
  if (!TEAM_ID.test(teamId)) return Effect.fail(new OAuthExchangeError({ reason: "malformed", code: "workspace_id_invalid" }))
  const facts: Record<string, string> = {
    bot_user_id: text(answer.bot_user_id),
    team_name: text(answer.team?.name),
    app_id: text(answer.app_id),
    scope: text(answer.scope),
    authed_user_id: text(answer.authed_user?.id),
    token_type: text(answer.token_type),
    enterprise_id: text(answer.enterprise?.id)
  }
  const metadata = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== ""))
  const rotating = text(answer.refresh_token) !== "" || typeof answer.expires_in === "number"
  return Effect.succeed({ teamId, botToken: Redacted.make(token), metadata, rotating })
}

export const exchangeCode = (request: ExchangeRequest): Effect.Effect<OAuthGrant, OAuthExchangeError> =>
  Effect.gen(function*() {
    const client = new WebClient(undefined, {
      slackApiUrl: request.apiRoot,
      retryConfig: { retries: 0 },
      timeout: request.timeoutMillis ?? 15_000,
      rejectRateLimitedCalls: true,
      allowAbsoluteUrls: false,
      logger: silent
    })
    const answer = yield* Effect.tryPromise({
      try: () =>
        client.oauth.v2.access({
          client_id: request.clientId,
          client_secret: Redacted.value(request.clientSecret) as string,
          code: request.code,
          redirect_uri: request.redirectUri
        }),
      catch: classify
    })
    const decoded = yield* Schema.decodeUnknown(AccessAnswer)(answer).pipe(
      Effect.mapError(() => new OAuthExchangeError({ reason: "malformed", code: "unexpected_answer" }))
    )
    return yield* grantOf(decoded)
  })
