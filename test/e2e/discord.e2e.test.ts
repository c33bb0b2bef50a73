import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import { type DiscordFake, startDiscordFake } from "./support/DiscordFake.js"
import { type FakeUser, messagePayload, PUBLIC_THREAD, snowflake } from "./support/DiscordFakePayloads.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"

/**
 * The built service (`node dist/main.js`) with Discord enabled, against a fake OpenClaw backend
 * and a fake Discord (REST + gateway) driving the real discord.js client, all on 127.0.0.1:
 * what Discord receives, and what the backend is asked.
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
const GUILD = "200000000000000001"
const CHANNEL = "300000000000000001"
const THREAD = "300000000000000009"
const ADMIN: FakeUser = { id: "100000000000000001", username: "admin" }
const TRUSTED: FakeUser = { id: "100000000000000002", username: "trusted" }
const STRANGER: FakeUser = { id: "100000000000000003", username: "stranger" }
const ADMIN_DM = "400000000000000001"
const TRUSTED_DM = "400000000000000002"
const STRANGER_DM = "400000000000000003"
const MESSAGES = /^\/api\/v10\/channels\/\d+\/messages$/

let backend: FakeBackend
let discord: DiscordFake
let service: ServiceProcess
let operator: string

const dm = (author: FakeUser, channelId: string, content: string, id?: string) =>
  discord.message({ channelId, author, content, ...(id !== undefined ? { id } : {}) })
const inGuild = (author: FakeUser, content: string, channelId = CHANNEL, channelType?: number) =>
  discord.message({ channelId, guildId: GUILD, author, content, ...(channelType !== undefined ? { channelType } : {}) })

/**
 * The delivery worker talks to chats on its own (a "⏳ Job <id>: …" status message per job, then
 * results and notices); its texts, and only its, start with one of these symbols. Replies to
 * messages are every other message the bot creates.
 */
const isWorkerText = (text: unknown) => typeof text === "string" && /^(⏳|✅|❌|⚠️|🖼️) /u.test(text)
/** Replies created in `channelId` (the worker's messages excluded), in order. */
const repliesIn = (channelId: string) => discord.created.filter((m) => m.channelId === channelId && !isWorkerText(m.body.content))
/** The worker's status messages (creates, not edits) for job `promptId`, or any job, in `channelId`. */
const statusIn = (channelId: string, promptId?: string) =>
  discord.created.filter((m) =>
    m.channelId === channelId && String(m.body.content).startsWith(promptId === undefined ? "⏳ Job " : `⏳ Job ${promptId}: `)
  )

/** Waits until `channelId` holds `before + n` replies; returns the ones after `before`. */
const replies = async (channelId: string, before: number, n = 1) => {
  await discord.waitFor(() => repliesIn(channelId).length >= before + n, `${n} repl(ies) in ${channelId}`)
  return repliesIn(channelId).slice(before)
}

/** Sends `content` in a DM and returns the one reply created there. */
const ask = async (author: FakeUser, channelId: string, content: string) => {
  const before = repliesIn(channelId).length
  dm(author, channelId, content)
  return (await replies(channelId, before))[0]!
}

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  discord = await startDiscordFake({
    guilds: [{ id: GUILD, channels: [CHANNEL], threads: [{ id: THREAD, parentId: CHANNEL }] }],
    heartbeatIntervalMillis: 1_000
  })
  const operatorPort = await freePort()
  operator = `http://127.0.0.1:${operatorPort}`
  service = startService({
    OPENCLAW_CONNECTOR_URL: backend.url,
    OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
    OPENCLAW_CONNECTOR_ADMIN_USERS: ADMIN.id,
    OPENCLAW_CONNECTOR_DISCORD_TOKEN: discord.token,
    OPENCLAW_CONNECTOR_DISCORD_API_ROOT: discord.apiRoot,
    OPENCLAW_CONNECTOR_DISCORD_ALLOWED_USERS: TRUSTED.id,
    OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort)
  })
  await service.waitFor(/Connector ready/)
  await service.waitFor(/Discord connected as openclaw-bot/)
  await discord.waitFor(() => discord.gateway.ready(), "gateway READY")
})

afterAll(async () => {
  // SIGTERM: the layer's scope destroys the client and the process exits cleanly.
  if (service !== undefined) expect(await service.stop()).toBe(0)
  await discord?.close()
  await backend?.close()
})

beforeEach(() => {
  backend.reset()
  discord.reset()
})

describe("Discord end to end", () => {
  it("connects without compression, heartbeats, and reports the bot healthy", async () => {
    expect(discord.gateway.connectUrls[0]).toBe("/gateway?v=10&encoding=json")
    expect(discord.gateway.identifies[0]).toMatchObject({ token: discord.token, compress: false, intents: 37377 })
    await discord.waitFor(() => discord.gateway.heartbeats() >= 1, "a heartbeat")
    expect(discord.gateway.binaryFrames()).toBe(0)
    const ready = await (await fetch(`${operator}/readyz`)).text()
    expect(ready).toMatch(/"platform":"discord"[^}]*"state":"ok"/)
  })

  it("a DM command is answered in the DM, with the bot token, typing first, pinging nobody", async () => {
    const reply = await ask(STRANGER, STRANGER_DM, "/help")
    expect(reply.channelId).toBe(STRANGER_DM)
    expect(reply.body.content).toContain("/run <template> [prompt] [k=v]")
    expect(reply.body.allowed_mentions).toEqual({ parse: [] })
    expect(reply.body.enforce_nonce).toBe(true)
    const [post] = discord.callsTo("POST", MESSAGES)
    expect(post!.headers["authorization"]).toBe(`Bot ${discord.token}`)
    expect(discord.callsTo("POST", `/api/v10/channels/${STRANGER_DM}/typing`)).toHaveLength(1)
    expect(service.output()).not.toContain(discord.token)
  })

  it("in a guild channel: <@bot> /status works, chatter gets no reply, a thread is answered in the thread", async () => {
    inGuild(STRANGER, `<@${discord.bot.id}> /status`)
    const [status] = await replies(CHANNEL, 0)
    expect(status!.channelId).toBe(CHANNEL)
    expect(status!.body.content).not.toMatch(/^Unknown command/)
    expect(backend.callsTo("GET", "/openclaw/health").length + backend.callsTo("GET", "/api/openclaw/health").length)
      .toBeGreaterThan(0)

    const calls = backend.calls.length
    inGuild(STRANGER, "lunch anyone? <@100000000000000009>")
    inGuild(STRANGER, "/help", THREAD, PUBLIC_THREAD)
    const [threadReply] = await replies(THREAD, 0)
    expect(threadReply!.channelId).toBe(THREAD)
    expect(threadReply!.body.content).toContain("/run <template>")
    expect(discord.created).toHaveLength(2)
    expect(backend.calls.length).toBe(calls)
  })

  it("a reply echoing @everyone pings nobody; a long reply is split at 2000 characters, nothing lost", async () => {
    const word = "z".repeat(3900)
    const before = repliesIn(STRANGER_DM).length
    dm(STRANGER, STRANGER_DM, word)
    const parts = await replies(STRANGER_DM, before, 3)
    for (const p of parts) {
      expect(p.body.content.length).toBeLessThanOrEqual(2000)
      expect(p.body.allowed_mentions).toEqual({ parse: [] })
    }
    expect(parts.map((p) => p.body.content).join("")).toBe(`Unknown command: ${word}. Type /help for options.`)
    const everyone = await ask(STRANGER, STRANGER_DM, "@everyone")
    expect(everyone.body).toMatchObject({ content: "Unknown command: @everyone. Type /help for options.", allowed_mentions: { parse: [] } })
  })

  it("the same MESSAGE_CREATE twice (same id) runs the command once; an edit runs nothing", async () => {
    const id = snowflake()
    const original = dm(TRUSTED, TRUSTED_DM, "/run portrait twice", id)
    dm(TRUSTED, TRUSTED_DM, "/run portrait twice", id)
    const [ran] = await replies(TRUSTED_DM, 0)
    const promptId = /^\[Job Submitted\]\nID: (\S+)\n/.exec(ran!.body.content)![1]!
    discord.gateway.dispatch("MESSAGE_UPDATE", {
      ...original,
      content: "/run portrait edited",
      edited_timestamp: new Date().toISOString()
    })
    const marker = await ask(TRUSTED, TRUSTED_DM, "/help")
    expect(marker.body.content).toContain("/run <template>")
    expect(backend.callsTo("POST", "/openclaw/triggers/fire")).toHaveLength(1)
    // The one job is followed: its status message in the DM, and nothing else was created.
    await discord.waitFor(() => statusIn(TRUSTED_DM, promptId).length > 0, "the job's status message")
    expect(statusIn(TRUSTED_DM, promptId)[0]!.body.content).toBe(`⏳ Job ${promptId}: queued`)
    expect(repliesIn(TRUSTED_DM)).toHaveLength(2)
    expect(discord.created).toHaveLength(3)
  })

  it("approval buttons: refused for an untrusted presser, approved once for the admin, forgeries refused", async () => {
    const pending = await ask(STRANGER, STRANGER_DM, "/run portrait a fox")
    const approvalId = pending.body.content.match(/ID: (apr_[0-9a-f]{12})/)![1]!
    inGuild(ADMIN, `<@${discord.bot.id}> /approvals`)
    const [list] = await replies(CHANNEL, 0)
    expect(list!.body.content).toContain(`- ${approvalId} [pending] template=portrait`)
    const buttons: Array<any> = list!.body.components.flatMap((row: any) => row.components)
    const approve = buttons.find((b) => b.label === `Approve ${approvalId.slice(0, 8)}`)
    expect(approve).toMatchObject({ type: 2, style: 1 })
    expect(approve.custom_id.length).toBeLessThanOrEqual(100)
    expect(approve.custom_id).not.toContain(approvalId)
    const message = messagePayload({
      channelId: CHANNEL,
      guildId: GUILD,
      author: discord.bot,
      content: list!.body.content,
      components: list!.body.components
    })
    const onMessage = { channelId: CHANNEL, guildId: GUILD, message }
    const approveCalls = () => backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)

    const started = Date.now()
    const untrusted = discord.press({ ...onMessage, user: STRANGER, customId: approve.custom_id })
    await discord.waitFor(() => discord.followUps.length === 1, "refusal follow-up")
    const ack = discord.callbacks.find((c) => c.interactionId === untrusted.id)
    expect(ack!.body).toEqual({ type: 6 })
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(discord.followUps[0]!.body).toMatchObject({
      content: "[Access Denied] This command requires Admin privileges.",
      flags: 64,
      allowed_mentions: { parse: [] }
    })
    expect(approveCalls()).toHaveLength(0)

    discord.press({ ...onMessage, user: ADMIN, customId: approve.custom_id })
    await discord.waitFor(() => discord.followUps.length === 2, "approval follow-up")
    expect(discord.followUps[1]!.body.content).toMatch(new RegExp(`^\\[Approved\\] ${approvalId}\\nExecuted: \\S+`))
    expect(discord.followUps[1]!.body.flags).toBeUndefined()
    expect(approveCalls()).toHaveLength(1)
    expect(approveCalls()[0]!.headers["x-openclaw-admin-token"]).toBe(ADMIN_TOKEN)
    // The executed job is followed for the requester: its status message in the stranger's DM.
    const executed = /\nExecuted: (\S+)/.exec(discord.followUps[1]!.body.content)![1]!
    await discord.waitFor(() => statusIn(STRANGER_DM, executed).length > 0, "the approved job's status message")

    // A repeat press, a forged token and a foreign component; /help in a DM as the marker.
    const repeat = discord.press({ ...onMessage, user: ADMIN, customId: approve.custom_id })
    const data: string = approve.custom_id
    discord.press({ ...onMessage, user: ADMIN, customId: data.slice(0, -1) + (data.endsWith("a") ? "b" : "a") })
    const foreign = discord.press({ ...onMessage, user: ADMIN, customId: "other-bot:approve" })
    await discord.waitFor(() => discord.followUps.length === 3 && discord.callbacks.length === 5, "forgery refusal")
    expect(discord.followUps[2]!.body).toMatchObject({ content: "This button is not valid here.", flags: 64 })
    expect(discord.callbacks.map((c) => c.interactionId)).toContain(repeat.id)
    expect(discord.callbacks.map((c) => c.interactionId)).toContain(foreign.id)
    await ask(ADMIN, ADMIN_DM, "/help")
    expect(discord.followUps).toHaveLength(3)
    expect(approveCalls()).toHaveLength(1)
    // Approved once: one job, one status message, and no other job anywhere.
    expect(discord.created.filter((m) => isWorkerText(m.body.content))).toEqual(statusIn(STRANGER_DM, executed))
    expect(statusIn(STRANGER_DM)).toHaveLength(1)
  })

  it("a 429 on message create is waited out and the reply delivered once; a 500 is retried without re-running", async () => {
    // Only replies in this DM get the injected answers: another test's late worker message must not.
    const DM_MESSAGES = `/api/v10/channels/${TRUSTED_DM}/messages`
    const isReply = (body: any) => !isWorkerText(body?.content)
    const replyPosts = () => discord.callsTo("POST", DM_MESSAGES).filter((c) => isReply(c.body))
    discord.answerNextWhen("POST", DM_MESSAGES, isReply, {
      status: 429,
      json: { message: "You are being rate limited.", retry_after: 0.3, global: false },
      headers: { "retry-after": "0.3", "x-ratelimit-scope": "user" }
    })
    const reply = await ask(TRUSTED, TRUSTED_DM, "/help")
    expect(reply.body.content).toContain("/run <template>")
    expect(replyPosts()).toHaveLength(2)
    expect(repliesIn(TRUSTED_DM)).toHaveLength(1)
    await service.waitFor(/Discord answered 429/)

    discord.answerNextWhen("POST", DM_MESSAGES, isReply, { status: 500, json: { message: "oops" } })
    const ran = await ask(TRUSTED, TRUSTED_DM, "/run portrait once")
    expect(ran.body.content).toMatch(/^\[Job Submitted\]\nID: \S+\n/)
    expect(replyPosts()).toHaveLength(4)
    expect(replyPosts()[3]!.body).toEqual(replyPosts()[2]!.body)
    expect(backend.callsTo("POST", "/openclaw/triggers/fire")).toHaveLength(1)
    expect(repliesIn(TRUSTED_DM)).toHaveLength(2)
  })
})

describe("Discord with a refused token", () => {
  let refused: ServiceProcess
  let refusedOperator: string

  beforeAll(async () => {
    const port = await freePort()
    refusedOperator = `http://127.0.0.1:${port}`
    refused = startService({
      OPENCLAW_CONNECTOR_URL: backend.url,
      OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
      OPENCLAW_CONNECTOR_DISCORD_TOKEN: "a-revoked-token",
      OPENCLAW_CONNECTOR_DISCORD_API_ROOT: discord.apiRoot,
      OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
      OPENCLAW_CONNECTOR_OPERATOR_PORT: String(port)
    })
    await refused.waitFor(/Connector ready/)
  })

  afterAll(async () => {
    if (refused !== undefined) expect(await refused.stop()).toBe(0)
  })

  it("logs why, marks the bot invalid_token, and keeps the process serving", async () => {
    await refused.waitFor(/Discord login failed: Discord refused the bot token \(401\)/)
    expect((await fetch(`${refusedOperator}/healthz`)).status).toBe(200)
    expect(await (await fetch(`${refusedOperator}/readyz`)).text()).toMatch(/"platform":"discord"[^}]*"state":"invalid_token"/)
    expect(refused.output()).not.toContain("a-revoked-token")
    expect(discord.gateway.identifies.filter((d) => d.token === "a-revoked-token")).toEqual([])
  })
})
