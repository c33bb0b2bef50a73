import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted, TestClock } from "effect"
import { InstallationRegistryMemory } from "../../../src/adapters/installations/RegistryMemory.js"
import { DEFAULT_SLACK_SCOPES } from "../../../src/adapters/config/Slack.js"
import { type RawRequest, WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import {
  authorizeUrl,
  resolveRedirectUri,
  type SlackOAuthConfig,
  slackOAuthRoutes,
  TEXTS
} from "../../../src/adapters/slack/OAuthRoutes.js"
import { InstallationRegistry } from "../../../src/ports/InstallationRegistry.js"
import { F58_ANSWER, type SlackOAuthFake, startSlackOAuthFake } from "../installations/SlackOAuthFake.js"

const BASE = "https://connector.example.com"
const REDIRECT = `${BASE}/slack/oauth/callback`
const TTL_SEC = 600

const config = (apiRoot: string, over: Partial<SlackOAuthConfig> = {}): SlackOAuthConfig => ({
  clientId: Option.some("client-id"),
  clientSecret: Option.some(Redacted.make("client-secret")),
  oauthRedirectUri: Option.none(),
  oauthInstallPath: "/slack/install",
  oauthCallbackPath: "/slack/oauth/callback",
  oauthScopes: DEFAULT_SLACK_SCOPES,
  oauthStateTtlSec: TTL_SEC,
  apiRoot,
  mode: "events",
  ...over
})

const get = (path: string, query: Record<string, string> = {}): RawRequest => ({
  method: "GET",
  path,
  query: new URLSearchParams(query),
  headers: {},
  body: Buffer.alloc(0),
  remoteAddress: "127.0.0.1"
})

/** The routes over a fake Slack and a fresh in-memory registry; `install()` returns the issued state. */
const setup = (over: Partial<SlackOAuthConfig> = {}, publicBaseUrl = Option.some(`${BASE}/`)) =>
  Effect.gen(function*() {
    const fake = yield* startSlackOAuthFake
    const [installRoute, callbackRoute] = slackOAuthRoutes({ slack: config(fake.apiRoot, over), publicBaseUrl })
    const install = Effect.gen(function*() {
      const res = yield* installRoute!.handle(get("/slack/install"))
      expect(res.status).toBe(302)
      const location = new URL(res.headers!["location"]!)
      return location.searchParams.get("state")!
    })
    const callback = (query: Record<string, string>) =>
      Effect.map(callbackRoute!.handle(get("/slack/oauth/callback", query)), (res) => ({ status: res.status, body: String(res.body) }))
    return { fake, install, callback, installRoute: installRoute!, callbackRoute: callbackRoute! }
  })

const oauthCalls = (fake: SlackOAuthFake) => fake.calls.filter((c) => c.path === "/api/oauth.v2.access").length

const withRegistry = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, InstallationRegistryMemory.layer())

describe("Slack OAuth routes", () => {
  it("builds the authorize URL and the redirect URI of vector V6", () => {
    const redirect = resolveRedirectUri(config(""), Option.some(`${BASE}/`))
    expect(redirect).toBe(REDIRECT)
    expect(authorizeUrl("client-id", DEFAULT_SLACK_SCOPES, redirect, "STATE123")).toBe(
      "https://slack.com/oauth/v2/authorize?client_id=client-id&scope=app_mentions%3Aread%2Cchannels%3Ahistory%2Cchat%3Awrite" +
        "%2Cfiles%3Awrite%2Cgroups%3Ahistory%2Cim%3Ahistory%2Cmpim%3Ahistory&redirect_uri=https%3A%2F%2Fconnector.example.com" +
        "%2Fslack%2Foauth%2Fcallback&state=STATE123"
    )
    const explicit = config("", { oauthRedirectUri: Option.some("https://other.example/cb") })
    expect(resolveRedirectUri(explicit, Option.some(BASE))).toBe("https://other.example/cb")
    expect(resolveRedirectUri(config(""), Option.none())).toBe("")
  })

  it.scoped("install redirects to Slack with a fresh 43-character state each time", () =>
    withRegistry(Effect.gen(function*() {
      const { installRoute, install } = yield* setup()
      const res = yield* installRoute.handle(get("/slack/install"))
      const location = res.headers!["location"]!
      expect(location.startsWith("https://slack.com/oauth/v2/authorize?client_id=client-id&scope=app_mentions%3Aread")).toBe(true)
      const state = new URL(location).searchParams.get("state")!
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(location.endsWith(`&redirect_uri=${encodeURIComponent(REDIRECT)}&state=${state}`)).toBe(true)
      expect(yield* install).not.toBe(state)
    })))

  it.scoped("a valid callback exchanges the code once, stores the workspace and activates it", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      const state = yield* install
      const page = yield* callback({ code: "oauth-code", state })
      expect(page).toEqual({ status: 200, body: "Slack installation complete for T1 (slack:T1).\n" })
      expect(fake.calls).toHaveLength(1)
      const call = fake.calls[0]!
      expect(call.method).toBe("POST")
      expect(call.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      expect(call.body).toBe(`client_id=client-id&client_secret=client-secret&code=oauth-code&redirect_uri=${encodeURIComponent(REDIRECT)}`)
      const registry = yield* InstallationRegistry
      const record = Option.getOrThrow(yield* registry.get("slack:T1"))
      expect(record).toMatchObject({
        platform: "slack",
        tenantId: "default",
        workspaceId: "T1",
        status: "active",
        statusReason: "slack_oauth_complete",
        tokenRefs: { bot_token: "connector_installation:slack:T1:bot_token" },
        metadata: {
          bot_user_id: "U_BOT_1",
          team_name: "Workspace One",
          app_id: "A123",
          scope: "chat:write,files:write",
          authed_user_id: "U_INSTALLER",
          token_type: "bot",
          transport_mode: "events"
        }
      })
      expect(Option.map(record.health, (h) => [h.state, h.reason])).toEqual(Option.some(["ok", "slack_oauth_complete"]))
      expect(JSON.stringify(record)).not.toContain("xoxb-first")
      expect(yield* registry.resolve("slack", "T1")).toMatchObject({ ok: true, tokens: { bot_token: "xoxb-first" } })
    })))

  it.scoped("a state is single use: a replay fails closed without calling Slack", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      const state = yield* install
      expect((yield* callback({ code: "oauth-code", state })).status).toBe(200)
      expect(yield* callback({ code: "oauth-code-2", state })).toEqual({ status: 400, body: `${TEXTS.badState}\n` })
      expect(oauthCalls(fake)).toBe(1)
    })))

  it.scoped("unknown or malformed states fail closed without calling Slack", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      yield* install
      expect((yield* callback({ code: "c", state: "A".repeat(43) })).body).toBe(`${TEXTS.badState}\n`)
      expect((yield* callback({ code: "c", state: "not-a-state" })).status).toBe(400)
      expect((yield* callback({ code: "c", state: "x".repeat(500) })).status).toBe(400)
      expect((yield* callback({ code: "c" })).body).toBe(`${TEXTS.missingFields}\n`)
      expect((yield* callback({ state: "A".repeat(43) })).body).toBe(`${TEXTS.missingFields}\n`)
      expect(oauthCalls(fake)).toBe(0)
    })))

  it.scoped("a state expires after the TTL (TestClock)", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      const fresh = yield* install
      const stale = yield* install
      yield* TestClock.adjust(TTL_SEC * 1000)
      expect((yield* callback({ code: "c1", state: fresh })).status).toBe(200)
      yield* TestClock.adjust(1)
      expect(yield* callback({ code: "c2", state: stale })).toEqual({ status: 400, body: `${TEXTS.badState}\n` })
      expect(oauthCalls(fake)).toBe(1)
    })))

  it.scoped("Slack's access_denied is a bounded page, spends the state and stores nothing", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      const state = yield* install
      expect(yield* callback({ error: "access_denied", state })).toEqual({ status: 400, body: `${TEXTS.cancelled}\n` })
      const odd = yield* callback({ error: "<script>alert(1)</script>", state })
      expect(odd).toEqual({ status: 400, body: `${TEXTS.rejected}\n` })
      expect((yield* callback({ code: "oauth-code", state })).body).toBe(`${TEXTS.badState}\n`)
      expect(oauthCalls(fake)).toBe(0)
      expect(yield* Effect.flatMap(InstallationRegistry, (r) => r.list())).toEqual([])
    })))

  it.scoped("a Slack error or an HTTP failure gives the generic page and never echoes the code or the error", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      fake.answers.push(
        { status: 200, body: { ok: false, error: "invalid_code" } },
        { status: 500, body: "upstream exploded xoxb-leak" },
        { status: 200, body: { ok: true, access_token: "xoxb-no-team" } },
        { status: 200, body: "not json" }
      )
      for (let i = 0; i < 4; i++) {
        const page = yield* callback({ code: "secret-code-123", state: yield* install })
        expect(page).toEqual({ status: 502, body: `${TEXTS.failed}\n` })
        expect(page.body).not.toMatch(/invalid_code|secret-code|xoxb|exploded/)
      }
      expect(oauthCalls(fake)).toBe(4)
      expect(yield* Effect.flatMap(InstallationRegistry, (r) => r.list())).toEqual([])
    })))

  it.scoped("an org-wide Enterprise Grid install is refused with its own page", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      fake.answers.push({ status: 200, body: { ...F58_ANSWER, team: null, enterprise: { id: "E1", name: "Org" }, is_enterprise_install: true } })
      expect(yield* callback({ code: "c", state: yield* install })).toEqual({ status: 400, body: `${TEXTS.orgInstall}\n` })
      expect(yield* Effect.flatMap(InstallationRegistry, (r) => r.list())).toEqual([])
    })))

  it.scoped("a reinstall keeps the installation id, rotates the token and clears invalid_token", () =>
    withRegistry(Effect.gen(function*() {
      const { fake, install, callback } = yield* setup()
      const registry = yield* InstallationRegistry
      yield* callback({ code: "c1", state: yield* install })
      yield* registry.recordHealth("slack:T1", "invalid_token", "slack_tokens_revoked")
      expect(yield* registry.resolve("slack", "T1")).toMatchObject({ ok: false, healthCode: "invalid_token" })
      fake.answers.push({ status: 200, body: { ...F58_ANSWER, access_token: "xoxb-rotated" } })
      expect((yield* callback({ code: "c2", state: yield* install })).status).toBe(200)
      expect(yield* registry.resolve("slack", "T1")).toMatchObject({ ok: true, healthCode: "ok", tokens: { bot_token: "xoxb-rotated" } })
      expect((yield* registry.list()).map((i) => i.installationId)).toEqual(["slack:T1"])
      const upserts = (yield* registry.audit({ installationId: "slack:T1" })).filter((e) => e.action === "upsert")
      expect(upserts.map((e) => e.status)).toEqual(["created", "rotating"])
    })))

  it.scoped("without client credentials or a redirect URI both routes answer 503", () =>
    withRegistry(Effect.gen(function*() {
      for (const [over, base] of [
        [{ clientSecret: Option.none() }, Option.some(BASE)],
        [{ clientId: Option.none() }, Option.some(BASE)],
        [{}, Option.none()]
      ] as const) {
        const { fake, installRoute, callback } = yield* setup(over, base)
        const res = yield* installRoute.handle(get("/slack/install"))
        expect([res.status, res.body]).toEqual([503, `${TEXTS.notConfigured}\n`])
        expect(yield* callback({ code: "c", state: "A".repeat(43) })).toEqual({ status: 503, body: `${TEXTS.notConfigured}\n` })
        expect(oauthCalls(fake)).toBe(0)
      }
    })))

  it.live("serves the flow over HTTP on the Slack webhook server", () =>
    Effect.scoped(withRegistry(Effect.gen(function*() {
      const fake = yield* startSlackOAuthFake
      const server = yield* WebhookServer.make({
        name: "slack",
        bind: "127.0.0.1",
        port: 0,
        routes: slackOAuthRoutes({ slack: config(fake.apiRoot), publicBaseUrl: Option.some(BASE) })
      })
      const first = yield* Effect.promise(() => fetch(`${server.url}/slack/install`, { redirect: "manual" }))
      expect(first.status).toBe(302)
      expect(first.headers.get("cache-control")).toBe("no-store")
      const state = new URL(first.headers.get("location")!).searchParams.get("state")!
      const done = yield* Effect.promise(() => fetch(`${server.url}/slack/oauth/callback?code=oauth-code&state=${state}`))
      expect(done.status).toBe(200)
      expect(done.headers.get("content-type")).toBe("text/plain; charset=utf-8")
      expect(yield* Effect.promise(() => done.text())).toBe("Slack installation complete for T1 (slack:T1).\n")
      const replay = yield* Effect.promise(() => fetch(`${server.url}/slack/oauth/callback?code=oauth-code&state=${state}`))
      expect(replay.status).toBe(400)
      expect(oauthCalls(fake)).toBe(1)
    }))))
})
