import { Effect } from "effect"
import { field } from "../../domain/render/Values.js"
import { InstallationRegistry, type RegistryError } from "../../ports/InstallationRegistry.js"
import { PlatformHealth } from "../../ports/PlatformHealth.js"
import type { SlackCredentials } from "./Credentials.js"

/**
 * Slack's installation lifecycle events (spec platforms-slack-feishu.md §2.5), for the one
 * workspace they name; every other workspace is untouched:
 * - `app_uninstalled`: health `revoked`, then status `uninstalled` (the registry erases the
 *   installation's secrets): nothing more is run or sent for that workspace;
 * - `tokens_revoked` naming bot tokens (or naming none): health `invalid_token`, so resolution
 *   refuses the workspace (fail closed) until a reinstall. A revocation of user (OAuth) tokens only
 *   does not touch the bot installation (the reference marked it invalid anyway);
 * - `app_rate_limited`: health `degraded`. Slack sends it as a top-level payload type, not inside
 *   `event_callback`; the reference looked for it in the wrong place (bug 4).
 * The legacy single-workspace token is closed (until restart) by the first two.
 */
export const LIFECYCLE_EVENTS: ReadonlySet<string> = new Set(["app_uninstalled", "tokens_revoked", "app_rate_limited"])

export type LifecycleEvent = "app_uninstalled" | "tokens_revoked" | "app_rate_limited"

/** Whether a `tokens_revoked` event revokes bot tokens (absent lists count as yes: fail closed). */
export const revokesBotTokens = (event: unknown): boolean => {
  const tokens = field(event, "tokens")
  const bot = field(tokens, "bot")
  const oauth = field(tokens, "oauth")
  if (Array.isArray(bot) && bot.length > 0) return true
  return !(Array.isArray(oauth) && oauth.length > 0)
}

export const handleLifecycle = (
  credentials: SlackCredentials,
  kind: LifecycleEvent,
  teamId: string,
  event: unknown
): Effect.Effect<void, RegistryError, InstallationRegistry | PlatformHealth> =>
  Effect.gen(function*() {
    const registry = yield* InstallationRegistry
    const health = yield* PlatformHealth
    if (kind === "tokens_revoked" && !revokesBotTokens(event)) {
      return yield* Effect.logInfo(`Slack tokens_revoked for workspace ${teamId} names user tokens only; bot installation unchanged`)
    }
    // Every tenant's record of the workspace: Slack says the workspace's tokens are dead (fail closed).
    const records = yield* registry.list({ platform: "slack", workspaceId: teamId, allTenants: true })
    for (const record of records) {
      switch (kind) {
        case "app_uninstalled":
          yield* registry.recordHealth(record.installationId, "revoked", "slack_app_uninstalled")
          if (record.status !== "uninstalled") {
            yield* registry.transition(record.installationId, "uninstalled", "slack_app_uninstalled")
          }
          break
        case "tokens_revoked":
          yield* registry.recordHealth(record.installationId, "invalid_token", "slack_tokens_revoked")
          break
        case "app_rate_limited":
          yield* registry.recordHealth(record.installationId, "degraded", "slack_app_rate_limited")
          break
      }
    }
    if (kind !== "app_rate_limited") {
      yield* credentials.forget(teamId)
      const legacy = records.length === 0 && (yield* credentials.revokeLegacy(teamId))
      if (records.length === 0 && !legacy) yield* Effect.logWarning(`Slack ${kind} for unbound workspace ${teamId}`)
    }
    const state = kind === "app_uninstalled" ? "revoked" : kind === "tokens_revoked" ? "invalid_token" : "rate_limited"
    yield* health.record("slack", teamId, state, `slack_${kind}`)
    yield* Effect.logWarning(`Slack ${kind} for workspace ${teamId}: ${records.length} installation(s) marked ${state}`)
  })
