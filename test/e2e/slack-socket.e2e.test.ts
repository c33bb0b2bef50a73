import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"
import { buttonsOf, type SlackApiCall, type SlackApiFake, startSlackApiFake } from "./support/SlackApiFake.js"
import { blockActions, eventCallback, eventId, messageTs, slackEvent } from "./support/SlackClient.js"
import { type SlackSocketFake, startSlackSocketFake } from "./support/SlackSocketFake.js"

/**
 * The built service (`node dist/main.js`) with Slack in Socket Mode
 * (OPENCLAW_CONNECTOR_SLACK_MODE=socket), against a fake OpenClaw backend, the fake Slack Web API
 * (which answers `apps.connections.open` with the socket fake's URL) and the socket fake, all on
 * 127.0.0.1. Envelopes go in over the socket; what comes out is on the wire: acknowledgements on
 * the socket, chat.postMessage calls (and their bot token) on the Web API, and backend calls.
 *
 * Workspace A is installed through the OAuth routes, which Socket Mode still serves on the
 * Slack bind/port (the events and interactions paths are not served).
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
const APP_TOKEN = "xapp-1-A0E2EAPP1-1111-e2eappleveltokenvalue"
const A = { teamId: "T0SOCKAA1", token: "xoxb-e2e-socket-alpha", botUserId: "U0BOTSOC1", teamName: "Alpha" }
const ADMIN = "U0ADMIN01"
const STRANGER = "U0STRANGE"
const CHANNEL = "C0SOCKCH1"

let backend: FakeBackend
let slack: SlackApiFake
let socket: SlackSocketFake
let service: ServiceProcess
let slackBase: string
let operatorUrl: string

const event = (text: string, over: Partial<Parameters<typeof slackEvent>[0]> = {}) =>
  slackEvent({ team: A.teamId, channel: CHANNEL, channelType: "channel", user: STRANGER, text, ...over })
const envelopeOf = (e: Record<string, unknown>, id = eventId()) => JSON.parse(eventCallback(A.teamId, e, id))

const posts = (calls: ReadonlyArray<SlackApiCall>, threadTs?: string) =>
  calls.filter((c) => c.method === "chat.postMessage" && (threadTs === undefined || c.body?.thread_ts === threadTs))
const replyIn = async (threadTs: string): Promise<SlackApiCall> =>
  (await slack.waitFor((c) => posts(c, threadTs).length > 0)) && posts(slack.calls, threadTs)[0]!

const slackCount = async (outcome: string): Promise<number> => {
  const text = await (await fetch(`${operatorUrl}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith("openclaw_connector_inbound_events_total{") && l.includes(`platform="slack"`) && l.includes(`outcome="${outcome}"`))
  return line === undefined ? 0 : Number(line.split(" ").at(-1))
}
const counted = async (outcome: string, before: number) => {
  const deadline = Date.now() + 10_000
  while ((await slackCount(outcome)) <= before) {
    if (Date.now() > deadline) throw new Error(`slack ${outcome} count did not move past ${before}\n${service.output()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const environment = (slackPort: number, operatorPort: number, appToken: string): Record<string, string> => ({
  OPENCLAW_CONNECTOR_URL: backend.url,
  OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
  OPENCLAW_CONNECTOR_ADMIN_USERS: ADMIN,
  OPENCLAW_CONNECTOR_SLACK_MODE: "socket",
  OPENCLAW_CONNECTOR_SLACK_APP_TOKEN: appToken,
  OPENCLAW_CONNECTOR_SLACK_SIGNING_SECRET: "e2e-slack-signing-secret",
  OPENCLAW_CONNECTOR_SLACK_CLIENT_ID: "e2e-client-id",
  OPENCLAW_CONNECTOR_SLACK_CLIENT_SECRET: "e2e-slack-client-secret",
  OPENCLAW_CONNECTOR_SLACK_OAUTH_REDIRECT_URI: `http://127.0.0.1:${slackPort}/slack/oauth/callback`,
  OPENCLAW_CONNECTOR_SLACK_BIND: "127.0.0.1",
  OPENCLAW_CONNECTOR_SLACK_PORT: String(slackPort),
  OPENCLAW_CONNECTOR_SLACK_API_ROOT: slack.apiRoot,
  OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
  OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort)
})

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  slack = await startSlackApiFake()
  slack.addWorkspace(A)
  slack.grant(`code-${A.teamId}`, {
    ok: true,
    app_id: "A0E2EAPP1",
    authed_user: { id: ADMIN },
    scope: "app_mentions:read,channels:history,chat:write",
    token_type: "bot",
    access_token: A.token,
    bot_user_id: A.botUserId,
    team: { id: A.teamId, name: A.teamName }
  })
  socket = await startSlackSocketFake()
  socket.attach(slack, APP_TOKEN)
  const [slackPort, operatorPort] = [await freePort(), await freePort()]
  slackBase = `http://127.0.0.1:${slackPort}`
  operatorUrl = `http://127.0.0.1:${operatorPort}`
  service = startService(environment(slackPort, operatorPort, APP_TOKEN))
  await service.waitFor(/Slack Socket Mode connected/)
  await service.waitFor(/Connector ready/)
  // Install A through the OAuth routes served next to Socket Mode.
  const start = await fetch(`${slackBase}/slack/install`, { redirect: "manual" })
  expect(start.status).toBe(302)
  const state = new URL(start.headers.get("location")!).searchParams.get("state")!
  const done = await fetch(`${slackBase}/slack/oauth/callback?code=code-${A.teamId}&state=${encodeURIComponent(state)}`)
  expect(await done.text()).toContain(`Slack installation complete for ${A.teamId}`)
})

afterAll(async () => {
  await service?.stop()
  await socket?.close()
  await slack?.close()
  await backend?.close()
})

beforeEach(() => {
  backend.reset()
  slack.reset()
})

describe("Slack Socket Mode end to end", () => {
  it("connects with the app token; no events or interactions path is served; no secret is logged", async () => {
    expect(socket.opens()).toBe(1)
    expect((await fetch(`${slackBase}/slack/events`, { method: "POST", body: "{}" })).status).toBe(404)
    expect((await fetch(`${slackBase}/slack/interactions`, { method: "POST", body: "" })).status).toBe(404)
    const out = service.output()
    for (const secret of [APP_TOKEN, A.token, "ticket="]) expect(out).not.toContain(secret)
  })

  it("a command in a channel with a mention is acknowledged and answered with the workspace's token", async () => {
    const ts = messageTs()
    const envelope = socket.sendEvent(envelopeOf(event(`<@${A.botUserId}> /status`, { ts })))
    expect((await socket.waitForAck(envelope)).envelopeId).toBe(envelope)
    const reply = await replyIn(ts)
    expect(reply.token).toBe(A.token)
    expect(reply.body).toMatchObject({ channel: CHANNEL, thread_ts: ts, mrkdwn: false })
    expect(reply.body.text).toMatch(/^\[Online\] System Status/)
    // Chatter without the mention is acknowledged and ignored.
    const ignored = await slackCount("ignored")
    await socket.waitForAck(socket.sendEvent(envelopeOf(event("/status"))))
    await counted("ignored", ignored)
    expect(backend.callsTo("GET", "/openclaw/health")).toHaveLength(1)
  })

  it("a redelivered envelope and the app_mention twin run once", async () => {
    const ts = messageTs()
    const id = eventId()
    const text = `<@${A.botUserId}> /status`
    const duplicates = await slackCount("duplicate")
    const first = socket.sendEvent(envelopeOf(event(text, { ts }), id))
    const twin = socket.sendEvent(envelopeOf(event(text, { ts, type: "app_mention" })))
    await replyIn(ts)
    const retry = socket.sendEvent(envelopeOf(event(text, { ts }), id), { retryAttempt: 1, retryReason: "timeout" })
    for (const e of [first, twin, retry]) await socket.waitForAck(e)
    await counted("duplicate", duplicates + 1)
    expect(backend.callsTo("GET", "/openclaw/health")).toHaveLength(1)
    expect(posts(slack.calls, ts)).toHaveLength(1)
  })

  it("a button press (interactive envelope) by the admin approves once; a replay does not", async () => {
    const runTs = messageTs()
    socket.sendEvent(envelopeOf(event(`<@${A.botUserId}> /run portrait a fox`, { ts: runTs })))
    const pending = await replyIn(runTs)
    const approvalId = String(pending.body.text).match(/ID: (apr_[0-9a-f]{12})/)![1]!
    const listTs = messageTs()
    socket.sendEvent(envelopeOf(event(`<@${A.botUserId}> /approvals`, { ts: listTs, user: ADMIN })))
    const card = await replyIn(listTs)
    const approve = buttonsOf(card).find((b) => b.text.text === `Approve ${approvalId.slice(0, 8)}`)
    const approveCalls = () => backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)
    const press = blockActions({ team: A.teamId, channel: CHANNEL, user: ADMIN, value: approve.value, messageTs: "1700009999.000001", threadTs: listTs })
    await socket.waitForAck(socket.sendInteractive(press))
    const approved = await slack.waitFor((c) => posts(c, listTs).some((x) => String(x.body.text).startsWith("[Approved]")))
    const answer = posts(approved, listTs).find((x) => String(x.body.text).startsWith("[Approved]"))!
    expect(answer.token).toBe(A.token)
    expect(approveCalls()).toHaveLength(1)
    const duplicates = await slackCount("duplicate")
    await socket.waitForAck(socket.sendInteractive(press))
    await counted("duplicate", duplicates)
    expect(approveCalls()).toHaveLength(1)
  })

  it("a disconnect envelope reconnects through apps.connections.open; the next event still works", async () => {
    const before = socket.connections()
    socket.disconnect()
    await socket.waitFor(() => socket.connections() > before && socket.open() === 1, "a new connection", 15_000)
    expect(slack.callsTo("apps.connections.open").map((c) => c.token)).toEqual([APP_TOKEN])
    const ts = messageTs()
    await socket.waitForAck(socket.sendEvent(envelopeOf(event(`<@${A.botUserId}> /status`, { ts }))))
    expect((await replyIn(ts)).token).toBe(A.token)
    await service.waitFor(/Slack Socket Mode reconnected/)
  }, 20_000)

  it("a refused app token is recorded in /readyz and logged; the process keeps running", async () => {
    const [slackPort, operatorPort] = [await freePort(), await freePort()]
    const refused = startService(environment(slackPort, operatorPort, "xapp-1-refused-token-value"))
    try {
      await refused.waitFor(/Slack Socket Mode refused \(apps\.connections\.open: invalid_auth\)/)
      await refused.waitFor(/Connector ready/)
      const ready = await (await fetch(`http://127.0.0.1:${operatorPort}/readyz`)).json() as { platforms: Array<Record<string, string>> }
      expect(ready.platforms).toContainEqual(expect.objectContaining({
        platform: "slack",
        installation: "socket-mode",
        state: "invalid_token",
        detail: "apps.connections.open: invalid_auth"
      }))
      expect((await fetch(`http://127.0.0.1:${slackPort}/slack/install`, { redirect: "manual" })).status).toBe(302)
      expect(refused.output()).not.toContain("xapp-1-refused-token-value")
    } finally {
      await refused.stop()
    }
  })
})
