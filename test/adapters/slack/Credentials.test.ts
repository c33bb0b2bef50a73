import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { InstallationRegistryMemory } from "../../../src/adapters/installations/RegistryMemory.js"
import { makeSlackCredentials } from "../../../src/adapters/slack/Credentials.js"
import { handleLifecycle } from "../../../src/adapters/slack/Lifecycle.js"
import { makeSlackApi } from "../../../src/adapters/slack/SlackApi.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { InstallationRegistry } from "../../../src/ports/InstallationRegistry.js"
import { startSlackApiFake } from "../../e2e/support/SlackApiFake.js"

/** Token resolution and lifecycle events against the real in-memory installation registry. */
const TEAM = "T0REALREG"
const TOKEN = "xoxb-real-registry-token"
const BOT = "UBOTREAL1"

const setup = Effect.gen(function*() {
  const api = yield* Effect.acquireRelease(Effect.promise(startSlackApiFake), (a) => Effect.promise(() => a.close()))
  api.addWorkspace({ teamId: TEAM, token: TOKEN, botUserId: BOT })
  const registry = yield* InstallationRegistry
  yield* registry.upsert({
    platform: "slack",
    workspaceId: TEAM,
    installationId: `slack:${TEAM}`,
    tokens: { bot_token: TOKEN },
    status: "created",
    metadata: { bot_user_id: BOT, team_name: "Real" }
  })
  yield* registry.transition(`slack:${TEAM}`, "active", "slack_oauth_complete")
  const credentials = yield* makeSlackCredentials({ api: makeSlackApi({ apiRoot: api.apiRoot }), legacyToken: Option.none(), oauthEnabled: true })
  return { api, registry, credentials }
})

const ports = Layer.mergeAll(InstallationRegistryMemory.layer(), PlatformHealthMemory)

describe("Slack credentials over the real registry", () => {
  it.scopedLive("an active installation resolves to its token and bot id; a degraded one heals on the next good call", () =>
    Effect.gen(function*() {
      const { api, registry, credentials } = yield* setup
      const found = yield* credentials.resolve(TEAM)
      expect(found._tag).toBe("Found")
      if (found._tag !== "Found") return
      expect(found.credential.installationId).toBe(`slack:${TEAM}`)
      expect(found.credential.botUserId).toBe(BOT)
      expect(yield* credentials.botUserIdOf(found.credential)).toBe(BOT)
      expect(api.callsTo("auth.test")).toEqual([])

      yield* registry.recordHealth(`slack:${TEAM}`, "degraded", "slack_ratelimited")
      const degraded = yield* credentials.resolve(TEAM)
      expect(degraded._tag === "Found" && degraded.credential.health).toBe("degraded")
      if (degraded._tag !== "Found") return
      yield* credentials.call(degraded.credential, { method: "chat.postMessage", json: { channel: "C1", text: "hi" } })
      const record = Option.getOrThrow(yield* registry.get(`slack:${TEAM}`))
      expect(Option.getOrThrow(record.health).state).toBe("ok")
      expect(api.callsTo("chat.postMessage")[0]!.token).toBe(TOKEN)
    }).pipe(Effect.provide(ports)))

  it.scopedLive("tokens_revoked and app_uninstalled close the workspace; the secret is erased on uninstall", () =>
    Effect.gen(function*() {
      const { registry, credentials } = yield* setup
      yield* handleLifecycle(credentials, "tokens_revoked", TEAM, { tokens: { bot: [BOT] } })
      expect(yield* credentials.resolve(TEAM)).toEqual({ _tag: "Missing", reason: "inactive_binding", transient: false })
      yield* handleLifecycle(credentials, "app_uninstalled", TEAM, {})
      const record = Option.getOrThrow(yield* registry.get(`slack:${TEAM}`))
      expect(record.status).toBe("uninstalled")
      expect(yield* credentials.resolve(TEAM)).toMatchObject({ _tag: "Missing", transient: false })
      // Unknown workspaces are refused, never given another workspace's token.
      expect(yield* credentials.resolve("T0NOBODY1")).toEqual({ _tag: "Missing", reason: "missing_binding", transient: false })
    }).pipe(Effect.provide(ports)))
})
