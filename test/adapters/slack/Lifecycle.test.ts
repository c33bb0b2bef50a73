import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { inboundCounter } from "../../../src/domain/model/Metrics.js"
import { eventCallback, eventId } from "../../e2e/support/SlackClient.js"
import { slackEvent } from "../../e2e/support/SlackClient.js"
import {
  BOT_A,
  eventually,
  LEGACY_TEAM,
  LEGACY_TOKEN,
  serveSlack,
  type Served,
  TEAM_A,
  TEAM_B,
  TOKEN_A,
  TOKEN_B
} from "./harness.js"

/** Lifecycle events (spec §2.5, bug 4) and token resolution in legacy single-workspace mode (§2.7, bug 9). */
const lifecycle = (team: string, event: Record<string, unknown>) => eventCallback(team, event)

const dmStatus = (served: Served, team: string) =>
  Effect.gen(function*() {
    const event = slackEvent({ team, channel: "D0DM00001", channelType: "im", user: "U0USER001", text: "/status" })
    const res = yield* served.postEvent(eventCallback(team, event))
    expect(res.status).toBe(200)
    const key = `slack:msg:${team}:D0DM00001:${String(event["ts"])}`
    yield* eventually(() => served.probe.commits.includes(key) || served.probe.releases.includes(key))
  })

const posted = (served: Served) => served.api.callsTo("chat.postMessage")
const waitPosts = (served: Served, n: number) => Effect.promise(() => served.api.waitFor((c) => c.filter((x) => x.method === "chat.postMessage").length >= n))

describe("Slack lifecycle events", () => {
  it.scopedLive("tokens_revoked closes that workspace only: its commands no longer run, the other's do", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const id = eventId()
      const res = yield* served.postEvent(eventCallback(TEAM_A, { type: "tokens_revoked", tokens: { oauth: [], bot: ["UBOTAAAAA"] } }, id))
      expect(res).toMatchObject({ status: 200, text: "OK" })
      expect(served.registry.healthWrites).toEqual([{ installationId: `slack:${TEAM_A}`, state: "invalid_token", reason: "slack_tokens_revoked" }])
      // Its own event key, committed once recorded.
      expect(served.probe.claims.map((c) => [c.key, c.outcome])).toEqual([[`slack:event:${TEAM_A}:${id}`, "claimed"]])
      expect(served.probe.commits).toEqual([`slack:event:${TEAM_A}:${id}`])
      yield* dmStatus(served, TEAM_A)
      expect(served.backend.calls).toEqual([])
      expect(posted(served)).toEqual([])
      yield* dmStatus(served, TEAM_B)
      const [call] = yield* waitPosts(served, 1)
      expect(call!.token).toBe(TOKEN_B)
      const health = yield* served.health.snapshot
      expect(health.find((h) => h.installation === TEAM_A)?.state).toBe("invalid_token")
    }))

  it.scopedLive("a revocation of user tokens only leaves the bot installation alone", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      yield* served.postEvent(lifecycle(TEAM_A, { type: "tokens_revoked", tokens: { oauth: ["U0USER001"] } }))
      expect(served.registry.healthWrites).toEqual([])
      yield* dmStatus(served, TEAM_A)
      const [call] = yield* waitPosts(served, 1)
      expect(call!.token).toBe(TOKEN_A)
    }))

  it.scopedLive("app_uninstalled marks the installation revoked and uninstalls it (its secrets are erased)", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      expect((yield* served.postEvent(lifecycle(TEAM_A, { type: "app_uninstalled" }))).status).toBe(200)
      expect(served.registry.transitions).toEqual([{ installationId: `slack:${TEAM_A}`, to: "uninstalled", reason: "slack_app_uninstalled" }])
      expect(served.registry.record(`slack:${TEAM_A}`)!.status).toBe("uninstalled")
      expect(served.registry.hasSecret(`connector_installation:slack:${TEAM_A}:bot_token`)).toBe(false)
      yield* dmStatus(served, TEAM_A)
      expect(posted(served)).toEqual([])
      expect(served.registry.record(`slack:${TEAM_B}`)!.status).toBe("active")
    }))

  it.scopedLive("app_rate_limited arrives as a top-level type and marks the workspace degraded (bug 4)", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const body = JSON.stringify({ token: "x", team_id: TEAM_B, minute_rate_limited: 1518467820, api_app_id: "A0APP", type: "app_rate_limited" })
      expect((yield* served.postEvent(body)).status).toBe(200)
      expect(served.registry.healthWrites).toEqual([{ installationId: `slack:${TEAM_B}`, state: "degraded", reason: "slack_app_rate_limited" }])
      // degraded still resolves: B keeps working.
      yield* dmStatus(served, TEAM_B)
      yield* waitPosts(served, 1)
    }))

  it.scopedLive("a registry that cannot record the event gets 503 with its key released, so Slack's retry records it", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      served.registry.down = true
      const id = eventId()
      const body = eventCallback(TEAM_A, { type: "tokens_revoked", tokens: { bot: ["U"] } }, id)
      expect((yield* served.postEvent(body)).status).toBe(503)
      expect(served.probe.releases).toEqual([`slack:event:${TEAM_A}:${id}`])
      served.registry.down = false
      expect((yield* served.postEvent(body, { headers: { "x-slack-retry-num": "1" } })).status).toBe(200)
      expect(yield* served.credentials.resolve(TEAM_A)).toMatchObject({ _tag: "Missing", reason: "inactive_binding" })
    }))

  it.scopedLive("a redelivered tokens_revoked does not close the workspace reinstalled meanwhile", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const before = yield* Effect.map(Metric.value(inboundCounter("slack", "duplicate")), (c) => c.count)
      const body = eventCallback(TEAM_A, { type: "tokens_revoked", tokens: { bot: [BOT_A] } })
      expect((yield* served.postEvent(body)).status).toBe(200)
      expect(yield* served.credentials.resolve(TEAM_A)).toMatchObject({ _tag: "Missing", reason: "inactive_binding" })
      // The workspace is reinstalled (OAuth: fresh token, activated), then Slack redelivers the event.
      served.registry.install(TEAM_A, "xoxb-team-a-reinstalled", { bot_user_id: BOT_A })
      const again = yield* served.postEvent(body, { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } })
      expect(again).toMatchObject({ status: 200, text: "OK" })
      expect(served.registry.healthWrites).toHaveLength(1)
      expect(yield* served.credentials.resolve(TEAM_A)).toMatchObject({ _tag: "Found", credential: { installationId: `slack:${TEAM_A}` } })
      expect((yield* Effect.map(Metric.value(inboundCounter("slack", "duplicate")), (c) => c.count)) - before).toBe(1)
    }))

  it.scopedLive("a replay store that cannot claim does not hold a revocation back", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack({ failClaimsFrom: 1 })
      expect((yield* served.postEvent(lifecycle(TEAM_A, { type: "app_uninstalled" }))).status).toBe(200)
      expect(served.registry.record(`slack:${TEAM_A}`)!.status).toBe("uninstalled")
      expect(served.logs.some((l) => l.includes("app_uninstalled recorded without dedupe: replay store unavailable"))).toBe(true)
    }))
})

describe("Slack legacy single-workspace token", () => {
  it.scopedLive("OAuth off and no record: the legacy token answers its own workspace only", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack({ install: false, legacyToken: LEGACY_TOKEN, oauthEnabled: false })
      yield* dmStatus(served, LEGACY_TEAM)
      const [call] = yield* waitPosts(served, 1)
      expect(call!.token).toBe(LEGACY_TOKEN)
      expect(served.api.callsTo("auth.test").map((c) => c.token)).toEqual([LEGACY_TOKEN])
      // Another workspace never gets the legacy token.
      yield* dmStatus(served, TEAM_A)
      expect(posted(served)).toHaveLength(1)
      expect(served.logs.some((l) => l.includes("legacy_token_other_workspace"))).toBe(true)
    }))

  it.scopedLive("a legacy token Slack refuses is remembered: auth.test is not asked again for every event", () =>
    Effect.gen(function*() {
      const refused = yield* serveSlack({ install: false, legacyToken: LEGACY_TOKEN, oauthEnabled: false })
      refused.api.answer("auth.test", { json: { ok: false, error: "invalid_auth" } })
      yield* dmStatus(refused, LEGACY_TEAM)
      yield* dmStatus(refused, LEGACY_TEAM)
      yield* dmStatus(refused, LEGACY_TEAM)
      expect(refused.api.callsTo("auth.test")).toHaveLength(1)
      expect(posted(refused)).toEqual([])
      // A transient failure is not remembered: the next event asks again.
      const flaky = yield* serveSlack({ install: false, legacyToken: LEGACY_TOKEN, oauthEnabled: false })
      flaky.api.answer("auth.test", { json: { ok: false, error: "fatal_error" } })
      expect((yield* flaky.postEvent(eventCallback(LEGACY_TEAM, slackEvent({ team: LEGACY_TEAM, channel: "D0DM00001", channelType: "im", user: "U0USER001", text: "/status" })))).status).toBe(503)
      expect((yield* flaky.postEvent(eventCallback(LEGACY_TEAM, slackEvent({ team: LEGACY_TEAM, channel: "D0DM00001", channelType: "im", user: "U0USER001", text: "/status" })))).status).toBe(503)
      expect(flaky.api.callsTo("auth.test")).toHaveLength(2)
    }))

  it.scopedLive("a record that is revoked or unhealthy never falls back to the legacy token (bug 9)", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack({ legacyToken: LEGACY_TOKEN, oauthEnabled: false })
      served.registry.install(LEGACY_TEAM, "xoxb-registry-token", { bot_user_id: "UBOTLEGAC" })
      yield* served.postEvent(lifecycle(LEGACY_TEAM, { type: "tokens_revoked", tokens: { bot: ["UBOTLEGAC"] } }))
      yield* dmStatus(served, LEGACY_TEAM)
      expect(posted(served)).toEqual([])
      expect(served.api.calls.some((c) => c.token === LEGACY_TOKEN)).toBe(false)
    }))

  it.scopedLive("with OAuth enabled the legacy token is never used; tokens_revoked closes the legacy workspace", () =>
    Effect.gen(function*() {
      const oauth = yield* serveSlack({ install: false, legacyToken: LEGACY_TOKEN, oauthEnabled: true })
      yield* dmStatus(oauth, LEGACY_TEAM)
      expect(oauth.api.calls).toEqual([])
      const legacy = yield* serveSlack({ install: false, legacyToken: LEGACY_TOKEN, oauthEnabled: false })
      yield* dmStatus(legacy, LEGACY_TEAM)
      yield* waitPosts(legacy, 1)
      yield* legacy.postEvent(lifecycle(LEGACY_TEAM, { type: "tokens_revoked" }))
      yield* dmStatus(legacy, LEGACY_TEAM)
      expect(posted(legacy)).toHaveLength(1)
      expect(legacy.backend.callsTo("health")).toHaveLength(1)
    }))
})
