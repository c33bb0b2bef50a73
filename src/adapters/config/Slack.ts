import { Effect, Either, Option, Redacted } from "effect"
import type { IdList } from "../../domain/model/Settings.js"
import type { ConfigLoadError } from "./ConfigLoadError.js"
import { readIdList } from "./IdLists.js"
import { clampSpec, commaList } from "./Parse.js"
import { loadWebhookServer, type WebhookServer } from "./Platforms.js"
import {
  type Notes,
  readDefaultOn,
  readInt,
  readMode,
  readOptionalUrl,
  readPath,
  readRaw,
  readSecret,
  readText,
  readUrl
} from "./Read.js"

type Secret = Option.Option<Redacted.Redacted>

/**
 * What the inbound transport authenticates with: Events API requests are verified with the
 * signing secret; the Socket Mode socket is opened with the app-level `xapp-` token (and needs no
 * signing secret: spec bug 8).
 */
export type SlackInbound =
  | { readonly mode: "events"; readonly signingSecret: Redacted.Redacted }
  | { readonly mode: "socket"; readonly appToken: Redacted.Redacted }

/**
 * Slack. It starts with either the legacy bot token or the OAuth app credentials (OAuth-only
 * installs are allowed, unlike the reference), plus what its transport authenticates with: the
 * signing secret in Events API mode, the app-level `xapp-` token in Socket Mode (which needs no
 * signing secret, unlike the reference's documentation).
 */
export interface SlackConfig extends WebhookServer {
  readonly enabled: boolean
  /** Some exactly when `enabled`: the transport and its credential, checked once here. */
  readonly inbound: Option.Option<SlackInbound>
  readonly mode: "events" | "socket"
  readonly botToken: Secret
  readonly signingSecret: Secret
  readonly appToken: Secret
  readonly clientId: Option.Option<string>
  readonly clientSecret: Secret
  /** Client id and secret are both set: the OAuth install flow is served. */
  readonly oauthEnabled: boolean
  readonly oauthRedirectUri: Option.Option<string>
  readonly interactionsPath: string
  readonly oauthInstallPath: string
  readonly oauthCallbackPath: string
  readonly oauthScopes: ReadonlyArray<string>
  readonly oauthStateTtlSec: number
  readonly requireMention: boolean
  readonly replyInThread: boolean
  readonly allowedUsers: IdList
  readonly allowedChannels: IdList
  readonly apiRoot: string
}

export const DEFAULT_SLACK_SCOPES: ReadonlyArray<string> = [
  "app_mentions:read", "channels:history", "chat:write", "files:write", "groups:history", "im:history", "mpim:history"
]

const P = "OPENCLAW_CONNECTOR_SLACK_"

interface Blocker {
  readonly level: "info" | "warning"
  readonly text: string
}

/** Why Slack stays off, or what its transport authenticates with when it can start. */
const slackBlocker = (c: Omit<SlackConfig, "enabled" | "inbound">): Either.Either<SlackInbound, Blocker> => {
  const secrets = [c.botToken, c.signingSecret, c.appToken, c.clientSecret]
  if (!secrets.some(Option.isSome) && Option.isNone(c.clientId)) {
    return Either.left({ level: "info", text: `Slack not configured (${P}SIGNING_SECRET and ${P}BOT_TOKEN unset); adapter off.` })
  }
  if (Option.isNone(c.botToken) && !c.oauthEnabled) {
    return Either.left({
      level: "warning",
      text: `Slack adapter disabled: legacy bot token missing (${P}BOT_TOKEN) and Slack OAuth flow not configured ` +
        `(${P}CLIENT_ID and ${P}CLIENT_SECRET).`
    })
  }
  if (c.mode === "events") {
    return Option.match(c.signingSecret, {
      onNone: () => Either.left({ level: "warning", text: `Slack configured but Signing Secret missing (${P}SIGNING_SECRET). Skipping.` }),
      onSome: (signingSecret) => Either.right({ mode: "events", signingSecret })
    })
  }
  // Socket Mode needs no signing secret: its socket is authenticated by the app token (spec bug 8).
  return Option.match(c.appToken, {
    onNone: () => Either.left({ level: "warning", text: `Slack Socket Mode needs an app-level token (xapp-...) in ${P}APP_TOKEN. Skipping.` }),
    onSome: (appToken) =>
      Redacted.value(appToken).startsWith("xapp-")
        ? Either.right({ mode: "socket", appToken })
        : Either.left({ level: "warning", text: `Invalid Slack App Token in ${P}APP_TOKEN (must start with xapp-). Skipping.` })
  })
}

export const loadSlack = (notes: Notes): Effect.Effect<SlackConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const clientId = Option.fromNullable(yield* readText(`${P}CLIENT_ID`))
    const clientSecret = yield* readSecret(`${P}CLIENT_SECRET`)
    const scopes = commaList(yield* readRaw(`${P}OAUTH_SCOPES`))
    const config: Omit<SlackConfig, "enabled" | "inbound"> = {
      mode: yield* readMode(`${P}MODE`, ["events", "socket"]),
      botToken: yield* readSecret(`${P}BOT_TOKEN`),
      signingSecret: yield* readSecret(`${P}SIGNING_SECRET`),
      appToken: yield* readSecret(`${P}APP_TOKEN`),
      clientId,
      clientSecret,
      oauthEnabled: Option.isSome(clientId) && Option.isSome(clientSecret),
      oauthRedirectUri: yield* readOptionalUrl(`${P}OAUTH_REDIRECT_URI`),
      ...yield* loadWebhookServer(notes, "SLACK", 8095, "/slack/events"),
      interactionsPath: yield* readPath(`${P}INTERACTIONS_PATH`, "/slack/interactions"),
      oauthInstallPath: yield* readPath(`${P}OAUTH_INSTALL_PATH`, "/slack/install"),
      oauthCallbackPath: yield* readPath(`${P}OAUTH_CALLBACK_PATH`, "/slack/oauth/callback"),
      oauthScopes: scopes.length > 0 ? scopes : DEFAULT_SLACK_SCOPES,
      oauthStateTtlSec: yield* readInt(notes, `${P}OAUTH_STATE_TTL_SEC`, clampSpec(600, 60, 3600)),
      requireMention: yield* readDefaultOn(notes, `${P}REQUIRE_MENTION`),
      replyInThread: yield* readDefaultOn(notes, `${P}REPLY_IN_THREAD`),
      allowedUsers: yield* readIdList(notes, `${P}ALLOWED_USERS`, { platform: "slack" }),
      allowedChannels: yield* readIdList(notes, `${P}ALLOWED_CHANNELS`, { platform: "slack" }),
      apiRoot: yield* readUrl(`${P}API_ROOT`, "https://slack.com/api/")
    }
    if (Option.isSome(clientId) !== Option.isSome(clientSecret)) {
      notes.warnings.push(`Slack OAuth needs both ${P}CLIENT_ID and ${P}CLIENT_SECRET; OAuth install flow off.`)
    }
    const checked = slackBlocker(config)
    if (Either.isLeft(checked)) (checked.left.level === "info" ? notes.info : notes.warnings).push(checked.left.text)
    return { enabled: Either.isRight(checked), inbound: Either.getRight(checked), ...config }
  })
