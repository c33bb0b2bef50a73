import { Effect, Option, Redacted } from "effect"
import type { JsonRecord } from "../../domain/render/Values.js"
import { InstallationRegistry } from "../../ports/InstallationRegistry.js"
import { type HealthState, PlatformHealth } from "../../ports/PlatformHealth.js"
import type { SlackApi, SlackCall, SlackCallError } from "./SlackApi.js"

/**
 * Which bot token serves a workspace (spec platforms-slack-feishu.md §2.7), and the workspace's
 * bot user id. Every outbound call goes through here, so a reply can only ever use the token of
 * the workspace it answers.
 *
 * Resolution of team `T`, fail closed:
 * 1. `InstallationRegistry.resolve("slack", T)` ok with a `bot_token` -> that installation's token.
 * 2. Legacy single-workspace mode: only when OAuth is off, a legacy token is configured and the
 *    registry has *no record at all* for `T` (`missing_binding`), and only for the workspace the
 *    legacy token belongs to (learned once with `auth.test`). Bug 9 fixed: a revoked, inactive or
 *    unhealthy record never falls back to the legacy token, and neither does another workspace.
 * 3. Otherwise no token: the caller drops the reply (logged and counted).
 * `tokens_revoked` / `app_uninstalled` for the legacy workspace close it until restart, and so does
 * an auth.test that refuses the token (it is not asked again for every event).
 *
 * Health: each call's outcome is recorded in PlatformHealth (installation = team id); for a
 * registry installation an auth failure also marks the record `invalid_token` (it then stops
 * resolving: only a reinstall clears it), a rate limit marks it `degraded`, and the first success
 * after a non-ok health marks it `ok` (bug 11 fixed: no registry write on every reply).
 */
export interface SlackCredential {
  readonly teamId: string
  readonly token: Redacted.Redacted<string>
  /** `undefined` for the legacy token (OPENCLAW_CONNECTOR_SLACK_BOT_TOKEN). */
  readonly installationId: string | undefined
  /** The registry health when resolved ("" when never set). */
  readonly health: string
  /** From the installation's metadata (`bot_user_id`) or the legacy token's auth.test. */
  readonly botUserId: string | undefined
}

export type Resolved =
  | { readonly _tag: "Found"; readonly credential: SlackCredential }
  /** `transient`: the registry or Slack could not answer now (a later try may succeed). */
  | { readonly _tag: "Missing"; readonly reason: string; readonly transient: boolean }

export interface SlackCredentials {
  readonly resolve: (teamId: string) => Effect.Effect<Resolved>
  /** The bot user id of the credential's workspace: metadata, cache, else auth.test; undefined when unknown. */
  readonly botUserIdOf: (credential: SlackCredential) => Effect.Effect<string | undefined>
  /** One Web API call with the credential's token; its outcome is recorded as health. */
  readonly call: (credential: SlackCredential, call: Omit<SlackCall, "token">) => Effect.Effect<JsonRecord, SlackCallError>
  readonly upload: SlackApi["upload"]
  /** Forget cached facts about a workspace (lifecycle events). */
  readonly forget: (teamId: string) => Effect.Effect<void>
  /** Close the legacy token if it serves `teamId`; true when it did. */
  readonly revokeLegacy: (teamId: string) => Effect.Effect<boolean>
}

export interface CredentialOptions {
  readonly api: SlackApi
  readonly legacyToken: Option.Option<Redacted.Redacted>
  readonly oauthEnabled: boolean
}

const BOT_TOKEN = "bot_token"
const USER_ID = /^[A-Z0-9]{2,32}$/

const healthOfError = (e: SlackCallError): HealthState | undefined => {
  switch (e.reason) {
    case "auth-invalid":
      return "invalid_token"
    case "rate-limited":
      return "rate_limited"
    case "unreachable":
      return "unreachable"
    case "rejected":
      return "rejected"
    case "malformed":
      return undefined
  }
}

export const makeSlackCredentials = (
  options: CredentialOptions
): Effect.Effect<SlackCredentials, never, InstallationRegistry | PlatformHealth> =>
  Effect.gen(function*() {
    const registry = yield* InstallationRegistry
    const health = yield* PlatformHealth
    const { api } = options
    const botIds = new Map<string, string>()
    let legacyIdentity: { readonly teamId: string; readonly userId: string } | undefined
    /** auth.test refused the legacy token (`invalid_auth`...): it cannot start working without a restart. */
    let legacyRefused = false
    const revokedLegacyTeams = new Set<string>()

    const registryHealth = (credential: SlackCredential, state: string, reason: string) =>
      credential.installationId === undefined
        ? Effect.void
        : registry.recordHealth(credential.installationId, state, reason).pipe(
          Effect.catchAll((e) => Effect.logWarning(`Slack installation health not recorded (${e.reason})`))
        )

    const call = (credential: SlackCredential, c: Omit<SlackCall, "token">) =>
      api.call({ ...c, token: credential.token }).pipe(
        Effect.tap(() =>
          Effect.zipRight(
            health.record("slack", credential.teamId, "ok", c.method),
            credential.health === "ok" ? Effect.void : registryHealth(credential, "ok", `slack_${c.method}_ok`)
          )
        ),
        Effect.tapError((e) =>
          Effect.gen(function*() {
            const state = healthOfError(e)
            if (state !== undefined) yield* health.record("slack", credential.teamId, state, `${c.method}: ${e.code}`)
            if (e.reason === "auth-invalid") yield* registryHealth(credential, "invalid_token", `slack_${e.code}`)
            if (e.reason === "rate-limited") yield* registryHealth(credential, "degraded", "slack_ratelimited")
          })
        )
      )

    /** auth.test with `token`: the workspace and bot user it belongs to. */
    const authTest = (credential: SlackCredential) =>
      call(credential, { method: "auth.test", form: {} }).pipe(
        Effect.map((body) => ({
          teamId: typeof body["team_id"] === "string" ? body["team_id"] : "",
          userId: typeof body["user_id"] === "string" ? body["user_id"] : ""
        }))
      )

    const legacyFor = (teamId: string, token: Redacted.Redacted<string>) =>
      Effect.gen(function*() {
        if (revokedLegacyTeams.has(teamId)) return { _tag: "Missing", reason: "legacy_token_revoked", transient: false } as Resolved
        if (legacyRefused) return { _tag: "Missing", reason: "legacy_token_unverified", transient: false } as Resolved
        if (legacyIdentity === undefined) {
          const probe: SlackCredential = { teamId, token, installationId: undefined, health: "", botUserId: undefined }
          const identity = yield* Effect.either(authTest(probe))
          if (identity._tag === "Left") {
            const transient = identity.left.reason !== "auth-invalid"
            // Slack refused the token itself: remembered (until restart), not asked again per event.
            legacyRefused = !transient
            yield* Effect.logWarning(
              `Slack legacy bot token could not be checked with auth.test (${identity.left.code})` +
                (transient ? "" : "; it stays refused until the connector restarts with another token")
            )
            return { _tag: "Missing", reason: "legacy_token_unverified", transient } as Resolved
          }
          legacyIdentity = identity.right
          if (USER_ID.test(identity.right.userId)) botIds.set(identity.right.teamId, identity.right.userId)
        }
        if (legacyIdentity.teamId !== teamId) return { _tag: "Missing", reason: "legacy_token_other_workspace", transient: false } as Resolved
        const credential: SlackCredential = {
          teamId,
          token,
          installationId: undefined,
          health: "",
          botUserId: USER_ID.test(legacyIdentity.userId) ? legacyIdentity.userId : undefined
        }
        return { _tag: "Found", credential } as Resolved
      })

    const resolve = (teamId: string): Effect.Effect<Resolved> =>
      Effect.gen(function*() {
        if (teamId === "") return { _tag: "Missing", reason: "no_workspace", transient: false } as Resolved
        const resolution = yield* Effect.either(registry.resolve("slack", teamId))
        if (resolution._tag === "Left") {
          return { _tag: "Missing", reason: `registry_${resolution.left.reason}`, transient: true } as Resolved
        }
        const r = resolution.right
        if (r.ok) {
          const token = r.tokens[BOT_TOKEN] ?? ""
          if (token === "") return { _tag: "Missing", reason: "no_bot_token", transient: false } as Resolved
          const botUserId = r.installation.metadata["bot_user_id"]
          const credential: SlackCredential = {
            teamId,
            token: Redacted.make(token),
            installationId: r.installation.installationId,
            health: Option.match(r.installation.health, { onNone: () => "", onSome: (h) => h.state }),
            botUserId: botUserId !== undefined && USER_ID.test(botUserId) ? botUserId : undefined
          }
          return { _tag: "Found", credential } as Resolved
        }
        if (r.rejectReason === "missing_binding" && !options.oauthEnabled && Option.isSome(options.legacyToken)) {
          return yield* legacyFor(teamId, options.legacyToken.value as Redacted.Redacted<string>)
        }
        return { _tag: "Missing", reason: r.rejectReason, transient: false } as Resolved
      })

    const botUserIdOf = (credential: SlackCredential) =>
      Effect.gen(function*() {
        if (credential.botUserId !== undefined) return credential.botUserId
        const cached = botIds.get(credential.teamId)
        if (cached !== undefined) return cached
        const identity = yield* Effect.either(authTest(credential))
        if (identity._tag === "Left") {
          yield* Effect.logWarning(`Slack bot user id of workspace ${credential.teamId} unknown: auth.test failed (${identity.left.code})`)
          return undefined
        }
        const { teamId, userId } = identity.right
        if (teamId !== credential.teamId || !USER_ID.test(userId)) {
          yield* Effect.logWarning(`Slack auth.test for workspace ${credential.teamId} named another workspace or no bot user; bot id unknown`)
          return undefined
        }
        botIds.set(teamId, userId)
        return userId
      })

    return {
      resolve,
      botUserIdOf,
      call,
      upload: api.upload,
      forget: (teamId) => Effect.sync(() => void botIds.delete(teamId)),
      revokeLegacy: (teamId) =>
        Effect.sync(() => {
          // Also before the legacy token's workspace is known: closing a workspace it may serve is safe.
          if (Option.isNone(options.legacyToken)) return false
          revokedLegacyTeams.add(teamId)
          return legacyIdentity === undefined || legacyIdentity.teamId === teamId
        })
    } satisfies SlackCredentials
  })
