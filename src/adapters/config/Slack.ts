import { Effect, Option, Redacted } from "effect"
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
 * Slack. It starts with the signing secret plus either the legacy bot token or the OAuth app
 * credentials (OAuth-only installs are allowed, unlike the reference). Socket Mode also needs the
 * app-level `xapp-` token; the signing secret is still required there, as the reference documents.
 */
export interface SlackConfig extends WebhookServer {
  readonly enabled: boolean
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

/** Why Slack stays off, or `undefined` when it can start. */
const slackBlocker = (c: Omit<SlackConfig, "enabled">): Blocker | undefined => {
  const secrets = [c.botToken, c.signingSecret, c.appToken, c.clientSecret]
  if (!secrets.some(Option.isSome) && Option.isNone(c.clientId)) {
    return { level: "info", text: `Slack not configured (${P}SIGNING_SECRET and ${P}BOT_TOKEN unset); adapter off.` }
  }
  // Socket Mode needs no signing secret: its socket is authenticated by the app token (spec bug 8).
  if (c.mode === "events" && Option.isNone(c.signingSecret)) {
    return { level: "warning", text: `Slack configured but Signing Secret missing (${P}SIGNING_SECRET). Skipping.` }
  }
  if (Option.isNone(c.botToken) && !c.oauthEnabled) {
    return {
      level: "warning",
      text: `Slack adapter disabled: legacy bot token missing (${P}BOT_TOKEN) and Slack OAuth flow not configured ` +
        `(${P}CLIENT_ID and ${P}CLIENT_SECRET).`
    }
  }
  const appToken = Option.getOrElse(Option.map(c.appToken, Redacted.value), () => "")
  if (c.mode === "socket" && !appToken.startsWith("xapp-")) {
    const text = `Slack Socket Mode needs an app-level token (xapp-...) in ${P}APP_TOKEN. Skipping.`
    return { level: "warning", text }
  }
  return undefined
}

export const loadSlack = (notes: Notes): Effect.Effect<SlackConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const clientId = Option.fromNullable(yield* readText(`${P}CLIENT_ID`))
    const clientSecret = yield* readSecret(`${P}CLIENT_SECRET`)
    const scopes = commaList(yield* readRaw(`${P}OAUTH_SCOPES`))
    const config: Omit<SlackConfig, "enabled"> = {
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
    const blocker = slackBlocker(config)
    if (blocker !== undefined) (blocker.level === "info" ? notes.info : notes.warnings).push(blocker.text)
    return { enabled: blocker === undefined, ...config }
  })
