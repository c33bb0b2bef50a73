import { Effect, Either, Option, Redacted } from "effect"
import { InstallationRegistry } from "../../ports/InstallationRegistry.js"
import type { SlackConfig } from "../config/Slack.js"
import type { RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { exchangeCode, type OAuthGrant } from "./OAuthExchange.js"
import { makeOAuthStates } from "./OAuthState.js"
import { safeCode } from "./SlackErrors.js"

/**
 * The Slack OAuth v2 install flow as routes of the Slack webhook server (spec
 * platforms-slack-feishu §2.8):
 * - `GET <oauthInstallPath>` (/slack/install): 302 to Slack's authorize page with a fresh
 *   single-use state (OAuthState.ts);
 * - `GET <oauthCallbackPath>` (/slack/oauth/callback): consume the state, exchange the code
 *   (OAuthExchange.ts), then upsert the workspace's installation `slack:<team_id>` (tenant
 *   `default`) with its bot token sealed in the vault, and activate it (status active, health ok).
 *   A reinstall keeps the installation id, replaces the token (status `rotating` until activated)
 *   and clears `invalid_token`/`revoked` health.
 * Pages are short fixed plain texts: the code, tokens, the client secret and raw Slack errors are
 * never echoed (only the installed workspace id is). Served only when the client id and secret
 * are set and a redirect URI is known (`..._OAUTH_REDIRECT_URI`, else
 * `OPENCLAW_CONNECTOR_PUBLIC_BASE_URL` + callback path); otherwise both answer 503.
 */
export const AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"

export type SlackOAuthConfig = Pick<
  SlackConfig,
  | "clientId"
  | "clientSecret"
  | "oauthRedirectUri"
  | "oauthInstallPath"
  | "oauthCallbackPath"
  | "oauthScopes"
  | "oauthStateTtlSec"
  | "apiRoot"
  | "mode"
>

export interface SlackOAuthOptions {
  readonly slack: SlackOAuthConfig
  /** `OPENCLAW_CONNECTOR_PUBLIC_BASE_URL` (config.media.publicBaseUrl). */
  readonly publicBaseUrl: Option.Option<string>
}

export const TEXTS = {
  notConfigured: "Slack OAuth not configured",
  cancelled: "Slack OAuth rejected: the installation was cancelled in Slack.",
  rejected: "Slack OAuth rejected by Slack.",
  missingFields: "Missing OAuth callback fields",
  badState: "Invalid or replayed OAuth state",
  orgInstall: "Slack organisation-wide installs are not supported; install the app into a workspace.",
  failed: "Slack OAuth processing failed",
  complete: (workspaceId: string, installationId: string) =>
    `Slack installation complete for ${workspaceId} (${installationId}).`
} as const

/** The explicit redirect URI, else the public base URL (no trailing `/`) + the callback path, else "". */
export const resolveRedirectUri = (slack: SlackOAuthConfig, publicBaseUrl: Option.Option<string>): string => {
  const explicit = Option.getOrElse(slack.oauthRedirectUri, () => "").trim()
  if (explicit !== "") return explicit
  return Option.match(publicBaseUrl, {
    onNone: () => "",
    onSome: (base) => `${base.trim().replace(/\/+$/, "")}${slack.oauthCallbackPath || "/slack/oauth/callback"}`
  })
}

/** `client_id, scope (comma-joined), redirect_uri, state`, in that order, form-encoded (vector V6). */
export const authorizeUrl = (clientId: string, scopes: ReadonlyArray<string>, redirectUri: string, state: string): string =>
  `${AUTHORIZE_URL}?${new URLSearchParams([
    ["client_id", clientId],
    ["scope", scopes.join(",")],
    ["redirect_uri", redirectUri],
    ["state", state]
  ]).toString()}`

const PAGE_HEADERS = {
  "content-type": "text/plain; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}

const page = (status: number, body: string): RawResponse => ({ status, body: `${body}\n`, headers: PAGE_HEADERS })

/** Bounds on what a callback may carry before anything is looked up. */
const MAX_CODE_LENGTH = 512
const MAX_STATE_LENGTH = 128

/** Upsert + activate the workspace's installation; returns its id. */
const install = (grant: OAuthGrant, transportMode: string) =>
  Effect.gen(function*() {
    const registry = yield* InstallationRegistry
    const installationId = `slack:${grant.teamId}`
    // The id names the workspace's record in whichever tenant it lives (the upsert puts it in `default`).
    const previous = yield* registry.get(installationId, { allTenants: true })
    yield* registry.upsert({
      platform: "slack",
      workspaceId: grant.teamId,
      installationId,
      tokens: { bot_token: Redacted.value(grant.botToken) },
      status: Option.isSome(previous) ? "rotating" : "created",
      statusReason: Option.isSome(previous) ? "slack_oauth_reinstall" : "slack_oauth_install",
      metadata: { ...grant.metadata, transport_mode: transportMode }
    })
    yield* registry.transition(installationId, "active", "slack_oauth_complete")
    return installationId
  })

export const slackOAuthRoutes = (options: SlackOAuthOptions): ReadonlyArray<WebhookRoute<InstallationRegistry>> => {
  const { slack } = options
  const redirectUri = resolveRedirectUri(slack, options.publicBaseUrl)
  const clientId = Option.getOrElse(slack.clientId, () => "").trim()
  const configured = clientId !== "" && Option.isSome(slack.clientSecret) && redirectUri !== ""
  const states = makeOAuthStates(slack.oauthStateTtlSec * 1000)

  const installRoute: WebhookRoute<InstallationRegistry> = {
    method: "GET",
    path: slack.oauthInstallPath,
    handle: () =>
      configured
        ? Effect.map(states.issue, (state) => ({
          status: 302,
          body: "",
          headers: { location: authorizeUrl(clientId, slack.oauthScopes, redirectUri, state), "cache-control": "no-store" }
        }))
        : Effect.succeed(page(503, TEXTS.notConfigured))
  }

  const callback = (query: URLSearchParams) =>
    Effect.gen(function*() {
      if (!configured || Option.isNone(slack.clientSecret)) return page(503, TEXTS.notConfigured)
      const state = (query.get("state") ?? "").trim()
      const code = (query.get("code") ?? "").trim()
      const error = query.get("error")
      if (error !== null) {
        // The user cancelled (or Slack refused): the state, if any, is spent either way.
        if (state !== "" && state.length <= MAX_STATE_LENGTH) yield* states.consume(state)
        const word = error.trim()
        const cancelled = word === "access_denied"
        yield* Effect.logInfo(`Slack OAuth install not completed (error=${safeCode(word)})`)
        return page(400, cancelled ? TEXTS.cancelled : TEXTS.rejected)
      }
      if (state === "" || code === "" || state.length > MAX_STATE_LENGTH || code.length > MAX_CODE_LENGTH) {
        return page(400, TEXTS.missingFields)
      }
      if (!(yield* states.consume(state))) {
        yield* Effect.logWarning("Slack OAuth callback refused: invalid, expired or replayed state")
        return page(400, TEXTS.badState)
      }
      const exchanged = yield* Effect.either(exchangeCode({
        apiRoot: slack.apiRoot,
        clientId,
        clientSecret: slack.clientSecret.value,
        code,
        redirectUri
      }))
      if (Either.isLeft(exchanged)) {
        const e = exchanged.left
        yield* Effect.logWarning(`Slack OAuth exchange failed (${e.reason}: ${e.code})`)
        return page(e.reason === "unsupported" ? 400 : 502, e.reason === "unsupported" ? TEXTS.orgInstall : TEXTS.failed)
      }
      const grant = exchanged.right
      if (grant.rotating) {
        yield* Effect.logWarning(
          `Slack workspace ${grant.teamId} was installed with token rotation on; the connector does not refresh ` +
            "tokens, so replies stop when the token expires. Turn token rotation off for the Slack app."
        )
      }
      const installed = yield* Effect.either(install(grant, slack.mode))
      if (Either.isLeft(installed)) {
        yield* Effect.logError(`Slack OAuth install for ${grant.teamId} not stored (${installed.left.reason})`)
        return page(502, TEXTS.failed)
      }
      yield* Effect.logInfo(`Slack installation complete for ${grant.teamId} (${installed.right})`)
      return page(200, TEXTS.complete(grant.teamId, installed.right))
    })

  const callbackRoute: WebhookRoute<InstallationRegistry> = {
    method: "GET",
    path: slack.oauthCallbackPath,
    handle: (request) => callback(request.query)
  }
  return [installRoute, callbackRoute]
}
