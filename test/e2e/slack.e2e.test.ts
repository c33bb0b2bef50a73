import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"
import { buttonsOf, type SlackApiCall, type SlackApiFake, startSlackApiFake } from "./support/SlackApiFake.js"
import { blockActions, eventCallback, eventId, interactionBody, messageTs, type PostOptions, postSlack, slackEvent } from "./support/SlackClient.js"

/**
 * The built service (`node dist/main.js`) with Slack in Events API mode, against a fake OpenClaw
 * backend and a fake Slack Web API, both on 127.0.0.1: what Slack receives (and with which bot
 * token), and what the backend is asked.
 *
 * Workspaces A and B are installed through the connector's own OAuth routes (`/slack/install` ->
 * Slack's authorize page -> `/slack/oauth/callback` -> `oauth.v2.access` on the fake), each with its
 * own bot token; a third workspace (OTHER) is known to Slack but not installed here.
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
const SECRET = "e2e-slack-signing-secret"
const A = { teamId: "T0E2EAAA1", token: "xoxb-e2e-alpha-token", botUserId: "U0BOTAAA1", teamName: "Alpha" }
const B = { teamId: "T0E2EBBB1", token: "xoxb-e2e-beta-token", botUserId: "U0BOTBBB1", teamName: "Beta" }
const OTHER = { teamId: "T0E2EOTH1", token: "xoxb-e2e-other-token", botUserId: "U0BOTOTH1" }
const CLIENT_SECRET = "e2e-slack-client-secret"
const ADMIN = "U0ADMIN01"
const TRUSTED = "U0TRUST01"
const STRANGER = "U0STRANGE"
const CHANNEL = "C0E2ECHAN"
const DM = "D0E2EDM01"

let backend: FakeBackend
let slack: SlackApiFake
let service: ServiceProcess
let slackBase: string
let eventsUrl: string
let interactionsUrl: string
let operatorUrl: string

const postEvent = (team: string, event: Record<string, unknown>, options: PostOptions & { readonly id?: string } = {}) =>
  postSlack(eventsUrl, SECRET, eventCallback(team, event, options.id ?? eventId()), options)

const press = (payload: Record<string, unknown>) =>
  postSlack(interactionsUrl, SECRET, interactionBody(payload), { contentType: "application/x-www-form-urlencoded" })

const dm = (team: string, text: string, over: Partial<Parameters<typeof slackEvent>[0]> = {}) =>
  slackEvent({ team, channel: DM, channelType: "im", user: STRANGER, text, ...over })
const inChannel = (team: string, text: string, over: Partial<Parameters<typeof slackEvent>[0]> = {}) =>
  slackEvent({ team, channel: CHANNEL, channelType: "channel", user: STRANGER, text, ...over })

const posts = (calls: ReadonlyArray<SlackApiCall>, threadTs?: string) =>
  calls.filter((c) => c.method === "chat.postMessage" && (threadTs === undefined || c.body?.thread_ts === threadTs))

/** Waits for the first chat.postMessage into the thread `threadTs`. */
const replyIn = async (threadTs: string): Promise<SlackApiCall> => (await slack.waitFor((c) => posts(c, threadTs).length > 0)) && posts(slack.calls, threadTs)[0]!

/** The Slack inbound counter for `outcome` from the operator's /metrics. */
const slackCount = async (outcome: string): Promise<number> => {
  const text = await (await fetch(`${operatorUrl}/metrics`)).text()
  const line = text.split("\n").find((l) => l.startsWith("openclaw_connector_inbound_events_total{") && l.includes(`platform="slack"`) && l.includes(`outcome="${outcome}"`))
  return line === undefined ? 0 : Number(line.split(" ").at(-1))
}

/** Polls until the counter for `outcome` passed `before` (the service handled the event behind its 200). */
const counted = async (outcome: string, before: number) => {
  const deadline = Date.now() + 10_000
  while ((await slackCount(outcome)) <= before) {
    if (Date.now() > deadline) throw new Error(`slack ${outcome} count did not move past ${before}\n${service.output()}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const statusCalls = () => backend.callsTo("GET", "/openclaw/health")

/** The install link, Slack's consent (the fake grants `code-<team>`), then the callback. */
const install = async (teamId: string) => {
  const start = await fetch(`${slackBase}/slack/install`, { redirect: "manual" })
  expect(start.status).toBe(302)
  const location = new URL(start.headers.get("location")!)
  expect(`${location.origin}${location.pathname}`).toBe("https://slack.com/oauth/v2/authorize")
  const state = location.searchParams.get("state")!
  const done = await fetch(`${slackBase}/slack/oauth/callback?code=code-${teamId}&state=${encodeURIComponent(state)}`)
  expect(done.status).toBe(200)
  expect(await done.text()).toContain(`Slack installation complete for ${teamId} (slack:${teamId}).`)
  return state
}

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  slack = await startSlackApiFake()
  for (const ws of [A, B, OTHER]) slack.addWorkspace(ws)
  for (const ws of [A, B]) {
    slack.grant(`code-${ws.teamId}`, {
      ok: true,
      app_id: "A0E2EAPP1",
      authed_user: { id: ADMIN },
      scope: "app_mentions:read,channels:history,chat:write,files:write,im:history",
      token_type: "bot",
      access_token: ws.token,
      bot_user_id: ws.botUserId,
      team: { id: ws.teamId, name: ws.teamName },
      enterprise: null,
      is_enterprise_install: false
    })
  }
  const [slackPort, operatorPort] = [await freePort(), await freePort()]
  slackBase = `http://127.0.0.1:${slackPort}`
  eventsUrl = `${slackBase}/slack/events`
  interactionsUrl = `${slackBase}/slack/interactions`
  operatorUrl = `http://127.0.0.1:${operatorPort}`
  service = startService({
    OPENCLAW_CONNECTOR_URL: backend.url,
    OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
    OPENCLAW_CONNECTOR_ADMIN_USERS: ADMIN,
    OPENCLAW_CONNECTOR_SLACK_SIGNING_SECRET: SECRET,
    OPENCLAW_CONNECTOR_SLACK_CLIENT_ID: "e2e-client-id",
    OPENCLAW_CONNECTOR_SLACK_CLIENT_SECRET: CLIENT_SECRET,
    OPENCLAW_CONNECTOR_SLACK_OAUTH_REDIRECT_URI: `http://127.0.0.1:${slackPort}/slack/oauth/callback`,
    OPENCLAW_CONNECTOR_SLACK_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_SLACK_PORT: String(slackPort),
    OPENCLAW_CONNECTOR_SLACK_API_ROOT: slack.apiRoot,
    OPENCLAW_CONNECTOR_SLACK_ALLOWED_USERS: TRUSTED,
    OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort),
    // Multi-tenant with the default fallback: installs land in tenant "default", and the
    // diagnostics API scopes by the tenant header.
    OPENCLAW_MULTI_TENANT_ENABLED: "1",
    OPENCLAW_MULTI_TENANT_ALLOW_DEFAULT_FALLBACK: "1"
  })
  await service.waitFor(new RegExp(`Slack Events API listening on 127\\.0\\.0\\.1:${slackPort}/slack/events`))
  await service.waitFor(/Connector ready/)
  for (const ws of [A, B]) await install(ws.teamId)
})

afterAll(async () => {
  await service?.stop()
  await slack?.close()
  await backend?.close()
})

beforeEach(() => {
  backend.reset()
  slack.reset()
})

describe("Slack end to end", () => {
  it("url_verification is echoed; a bad signature is 401 and runs nothing", async () => {
    const challenge = await postSlack(eventsUrl, SECRET, `{"type":"url_verification","challenge":"e2e-challenge"}`)
    expect(challenge.status).toBe(200)
    expect(JSON.parse(challenge.text)).toEqual({ challenge: "e2e-challenge" })
    const bad = await postEvent(A.teamId, dm(A.teamId, "/status"), { signature: "v0=deadbeef" })
    expect(bad).toMatchObject({ status: 401, text: "Invalid signature" })
    expect(backend.calls).toHaveLength(0)
    expect(slack.calls).toHaveLength(0)
  })

  it("installs went through oauth.v2.access once per workspace; a replayed state is refused", async () => {
    expect(slack.callsTo("oauth.v2.access")).toHaveLength(0) // reset after beforeAll; replay a fresh install
    const state = await install(A.teamId)
    const [exchange] = slack.callsTo("oauth.v2.access")
    expect(exchange!.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/)
    expect(exchange!.body).toMatchObject({ client_id: "e2e-client-id", client_secret: CLIENT_SECRET, code: `code-${A.teamId}` })
    const replay = await fetch(`${slackBase}/slack/oauth/callback?code=code-${A.teamId}&state=${encodeURIComponent(state)}`)
    expect(replay.status).toBe(400)
    expect(slack.callsTo("oauth.v2.access")).toHaveLength(1)
    const out = service.output()
    for (const secret of [A.token, B.token, CLIENT_SECRET]) expect(out).not.toContain(secret)
  })

  it("a DM in each workspace is answered in its thread with that workspace's token; an uninstalled one gets nothing", async () => {
    const [tsA, tsB] = [messageTs(), messageTs()]
    expect(await postEvent(A.teamId, dm(A.teamId, "/status", { ts: tsA }))).toMatchObject({ status: 200, text: "OK" })
    expect(await postEvent(B.teamId, dm(B.teamId, "/status", { ts: tsB }))).toMatchObject({ status: 200, text: "OK" })
    const [replyA, replyB] = [await replyIn(tsA), await replyIn(tsB)]
    expect(replyA.token).toBe(A.token)
    expect(replyB.token).toBe(B.token)
    expect(replyA.body).toMatchObject({ channel: DM, thread_ts: tsA, mrkdwn: false })
    expect(replyA.body.text).toMatch(/^\[Online\] System Status/)

    const unbound = await slackCount("unbound")
    await postEvent(OTHER.teamId, dm(OTHER.teamId, "/status"))
    await counted("unbound", unbound)
    expect(posts(slack.calls)).toHaveLength(2)
    expect(slack.calls.some((c) => c.token === OTHER.token)).toBe(false)
    expect(statusCalls()).toHaveLength(2)
    expect(service.output()).not.toContain(A.token)
  })

  it("a thread reply is answered in that thread", async () => {
    const thread = "1690000000.000777"
    await postEvent(A.teamId, inChannel(A.teamId, `<@${A.botUserId}> /status`, { threadTs: thread }))
    const reply = await replyIn(thread)
    expect(reply.body.channel).toBe(CHANNEL)
  })

  it("mention gating: channel chatter and commands without the bot's mention are ignored", async () => {
    const ignored = await slackCount("ignored")
    await postEvent(A.teamId, inChannel(A.teamId, "/status"))
    await postEvent(A.teamId, inChannel(A.teamId, `<@${OTHER.botUserId}> /status`))
    await counted("ignored", ignored + 1)
    expect(statusCalls()).toHaveLength(0)
    expect(posts(slack.calls)).toHaveLength(0)
  })

  it("message + app_mention of one message run once; a retry of a known event is ignored", async () => {
    const ts = messageTs()
    const text = `<@${A.botUserId}> /status`
    const id = eventId()
    const duplicates = await slackCount("duplicate")
    await postEvent(A.teamId, inChannel(A.teamId, text, { ts }), { id })
    await postEvent(A.teamId, inChannel(A.teamId, text, { ts, type: "app_mention" }))
    await replyIn(ts)
    const retry = await postEvent(A.teamId, inChannel(A.teamId, text, { ts }), {
      id,
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" }
    })
    expect(retry).toMatchObject({ status: 200, text: "OK" })
    // Two duplicates, both found by the one message key: the twin and the retry.
    await counted("duplicate", duplicates + 1)
    expect(statusCalls()).toHaveLength(1)
    expect(posts(slack.calls, ts)).toHaveLength(1)
  })

  it("approval buttons: an admin's press approves once; an untrusted press, a forgery and a replay do not", async () => {
    const runTs = messageTs()
    await postEvent(A.teamId, dm(A.teamId, "/run portrait a fox", { ts: runTs }))
    const pending = await replyIn(runTs)
    const approvalId = String(pending.body.text).match(/ID: (apr_[0-9a-f]{12})/)![1]!
    expect(backend.callsTo("POST", "/openclaw/triggers/fire")).toHaveLength(1)

    const listTs = messageTs()
    await postEvent(A.teamId, inChannel(A.teamId, `<@${A.botUserId}> /approvals`, { ts: listTs, user: ADMIN }))
    const card = await replyIn(listTs)
    const approve = buttonsOf(card).find((b) => b.text.text === `Approve ${approvalId.slice(0, 8)}`)
    expect(approve.value).toMatch(new RegExp(`^oc1\\|a\\|${approvalId}\\|c1\\.`))
    const approveCalls = () => backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)
    const base = { team: A.teamId, channel: CHANNEL, messageTs: "1700009999.000001", threadTs: listTs }

    // Untrusted: refused privately, nothing approved.
    expect(await press(blockActions({ ...base, user: STRANGER, value: approve.value }))).toMatchObject({ status: 200, text: "" })
    const denied = await slack.waitFor((c) => c.some((x) => x.method === "chat.postEphemeral" && x.body?.user === STRANGER))
    expect(denied.find((x) => x.method === "chat.postEphemeral")!.body.text).toContain("[Access Denied]")
    // Forged data (validly signed by Slack, altered MAC): refused.
    const forged = approve.value.slice(0, -1) + (approve.value.endsWith("a") ? "b" : "a")
    await press(blockActions({ ...base, user: ADMIN, value: forged }))
    await slack.waitFor((c) => c.some((x) => x.method === "chat.postEphemeral" && x.body?.user === ADMIN))
    expect(approveCalls()).toHaveLength(0)

    // Admin: approved once, answered in the card's thread with the workspace token.
    await press(blockActions({ ...base, user: ADMIN, value: approve.value }))
    const approved = await slack.waitFor((c) => posts(c, listTs).some((x) => String(x.body.text).startsWith("[Approved]")))
    const answer = posts(approved, listTs).find((x) => String(x.body.text).startsWith("[Approved]"))!
    expect(answer.token).toBe(A.token)
    expect(answer.body.text).toMatch(new RegExp(`^\\[Approved\\] ${approvalId}\\nExecuted: \\S+`))
    expect(approveCalls()).toHaveLength(1)
    expect(approveCalls()[0]!.headers["x-openclaw-admin-token"]).toBe(ADMIN_TOKEN)

    // Replayed: the same press again is a no-op.
    const duplicates = await slackCount("duplicate")
    await press(blockActions({ ...base, user: ADMIN, value: approve.value }))
    await counted("duplicate", duplicates)
    expect(approveCalls()).toHaveLength(1)
  })

  it("tokens_revoked closes that workspace only: its commands run nothing, the other workspace still works", async () => {
    const revoke = await postSlack(eventsUrl, SECRET, eventCallback(A.teamId, { type: "tokens_revoked", tokens: { oauth: [], bot: [A.botUserId] } }))
    expect(revoke).toMatchObject({ status: 200, text: "OK" })
    const unbound = await slackCount("unbound")
    await postEvent(A.teamId, dm(A.teamId, "/status"))
    await counted("unbound", unbound)
    expect(statusCalls()).toHaveLength(0)
    expect(posts(slack.calls)).toHaveLength(0)
    const ts = messageTs()
    await postEvent(B.teamId, dm(B.teamId, "/status", { ts }))
    expect((await replyIn(ts)).token).toBe(B.token)
    expect(slack.calls.some((c) => c.token === A.token)).toBe(false)
    const metrics = await (await fetch(`${operatorUrl}/metrics`)).text()
    expect(metrics).not.toContain(A.token)
  })

  it("diagnostics: refused without the admin token or for another tenant; never a token value", async () => {
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${operatorUrl}${path}`, { headers })
    const admin = { "X-OpenClaw-Admin-Token": ADMIN_TOKEN }
    const refused = { ok: false, error: "Invalid admin token." }
    for (const headers of [{}, { "X-OpenClaw-Admin-Token": "wrong" }] as ReadonlyArray<Record<string, string>>) {
      const res = await get("/openclaw/connector/installations", headers)
      expect([res.status, await res.json()]).toEqual([403, refused])
    }
    const listed = await get("/openclaw/connector/installations?platform=slack", admin)
    expect(listed.status).toBe(200)
    const body = await listed.text()
    expect(body).toContain(`slack:${B.teamId}`)
    for (const secret of [A.token, B.token, CLIENT_SECRET, SECRET]) expect(body).not.toContain(secret)
    const resolved = await get(`/openclaw/connector/installations/resolve?platform=slack&workspace_id=${B.teamId}`, admin)
    expect(resolved.status).toBe(200)
    expect(await resolved.text()).not.toContain(B.token)
    const foreign = await get(`/openclaw/connector/installations/resolve?platform=slack&workspace_id=${B.teamId}`, {
      ...admin,
      "X-OpenClaw-Tenant-Id": "other-tenant"
    })
    expect(foreign.status).toBe(409)
    expect(await foreign.json()).toMatchObject({ ok: false, tenant_id: "other-tenant", resolution: { ok: false, reject_reason: "tenant_mismatch" } })
    const foreignList = await (await get("/openclaw/connector/installations?platform=slack", { ...admin, "X-OpenClaw-Tenant-Id": "other-tenant" })).text()
    expect(foreignList).not.toContain(`slack:${B.teamId}`)
    expect(service.output()).not.toContain(B.token)
  })
})
