import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type FakeBackend, reply, startFakeBackend } from "../support/FakeBackend.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"
import { FAKE_BOT, startTelegramApiFake, type TelegramApiCall, type TelegramApiFake } from "./support/TelegramApiFake.js"
import { editedUpdate, messageUpdate, pressUpdate, supergroup, user } from "./support/TelegramUpdates.js"

/**
 * The built service (`node dist/main.js`) with Telegram in long-polling mode, against a fake
 * OpenClaw backend and a fake Bot API, both on 127.0.0.1: what Telegram receives (sendMessage,
 * sendChatAction, answerCallbackQuery, the getUpdates offsets) and what the backend is asked.
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
const TOKEN = "424242:e2e-telegram-bot-token-secret"
const ADMIN = 9001
const TRUSTED = [5001, 5002, 5003]

let backend: FakeBackend
let telegram: TelegramApiFake
let service: ServiceProcess
let env: Record<string, string>
let workDir: string

const sends = (chatId?: number) =>
  telegram.callsTo("sendMessage").filter((c) => chatId === undefined || c.body.chat_id === chatId)
const answers = () => telegram.callsTo("answerCallbackQuery")
const count = (method: string) => (calls: ReadonlyArray<TelegramApiCall>) => calls.filter((c) => c.method === method).length

/**
 * The delivery worker talks to chats on its own (a "⏳ Job <id>: …" status message per job, then
 * results and notices); its texts, and only its, start with one of these symbols. Replies to
 * updates are every other message.
 */
const isWorkerText = (text: unknown) => typeof text === "string" && /^(⏳|✅|❌|⚠️|🖼️) /u.test(text)
const replies = (chatId?: number) => sends(chatId).filter((c) => !isWorkerText(c.body.text))
/** The worker's status messages for job `promptId` (sent, not edits) in `chatId`. */
const statusMessages = (chatId: number, promptId?: string) =>
  sends(chatId).filter((c) => String(c.body.text).startsWith(promptId === undefined ? "⏳ Job " : `⏳ Job ${promptId}: `))
const chatOf = (update: Record<string, any>): number | undefined => (update["message"] ?? update["edited_message"])?.chat?.id

/**
 * Pushes `updates` as one batch and waits until `n` more replies were sent to the chats of those
 * updates (the worker's messages and other chats' traffic are not counted); returns them.
 */
const exchange = async (updates: ReadonlyArray<Record<string, unknown>>, n = 1) => {
  const chats = new Set(updates.map(chatOf))
  const mine = () => replies().filter((c) => chats.has(c.body.chat_id))
  const before = mine().length
  telegram.push(...updates)
  await telegram.waitFor(() => mine().length >= before + n)
  return mine().slice(before)
}

/** Pushes a press and waits for its answerCallbackQuery. */
const press = async (update: Record<string, unknown>) => {
  const before = answers().length
  telegram.push(update)
  await telegram.waitFor((c) => count("answerCallbackQuery")(c) > before)
  return answers()[before]!
}

const start = () => startService(env, { workDir })

/** The backend's health answer waits until Telegram has seen a typing indicator (a slow command). */
const holdHealthUntilTyping = () =>
  backend.override("GET", "/openclaw/health", async () => {
    await telegram.waitFor((c) => count("sendChatAction")(c) > 0)
    return reply(200, { ok: true, stats: { logs_processed: 1, errors_captured: 0 } })
  })

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  telegram = await startTelegramApiFake({ token: TOKEN })
  workDir = mkdtempSync(join(tmpdir(), "openclaw-e2e-telegram-"))
  env = {
    OPENCLAW_CONNECTOR_URL: backend.url,
    OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
    OPENCLAW_CONNECTOR_ADMIN_USERS: String(ADMIN),
    OPENCLAW_CONNECTOR_TELEGRAM_TOKEN: TOKEN,
    OPENCLAW_CONNECTOR_TELEGRAM_API_ROOT: telegram.url,
    OPENCLAW_CONNECTOR_TELEGRAM_ALLOWED_USERS: TRUSTED.join(","),
    OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_OPERATOR_PORT: String(await freePort())
  }
  service = start()
  await service.waitFor(/Telegram polling as @OpenClawTestBot/)
  await service.waitFor(/Connector ready/)
})

afterAll(async () => {
  await service?.stop()
  await telegram?.close()
  await backend?.close()
  if (workDir) rmSync(workDir, { recursive: true, force: true })
})

beforeEach(() => {
  backend.reset()
  telegram.reset()
})

describe("Telegram end to end (long polling)", () => {
  it("/status in a DM is answered there in plain text, with a typing indicator; the token is never logged", async () => {
    holdHealthUntilTyping()
    const [reply] = await exchange([messageUpdate(4001, "/status")])
    expect(reply!.body).toEqual({ chat_id: 4001, text: expect.stringMatching(/^\[Online\] System Status\n/) })
    expect(backend.callsTo("GET", "/openclaw/health")).toHaveLength(1)
    expect(telegram.callsTo("sendChatAction")[0]!.body).toEqual({ chat_id: 4001, action: "typing" })
    expect(telegram.callsTo("sendChatAction")[0]!.at).toBeLessThanOrEqual(reply!.at)
    expect(telegram.calls.every((c) => c.tokenOk)).toBe(true)
    expect(service.output()).not.toContain(TOKEN)
    expect(service.output()).not.toContain(TOKEN.split(":")[1]!)
  })

  it("in a group: chatter, edits and commands for another bot get nothing; mentions and /cmd@bot are answered", async () => {
    const group = supergroup(-100500)
    const answered = await exchange([
      messageUpdate(4002, "lunch anyone?", { chat: group }),
      messageUpdate(4002, "/status@OtherBot", { chat: group }),
      editedUpdate(4002, "/help", { chat: group }),
      messageUpdate(4002, `@${FAKE_BOT.username} /help`, { chat: group }),
      messageUpdate(4002, `/help@${FAKE_BOT.username}`, { chat: group })
    ], 2)
    expect(answered.map((r) => r.body.chat_id)).toEqual([-100500, -100500])
    for (const r of answered) expect(r.body.text).toContain("/run <template> [prompt] [k=v]")
    // Updates are settled in order: once a later marker is answered, nothing else was sent.
    await exchange([messageUpdate(4002, "/help", { chat: group })])
    expect(sends(-100500)).toHaveLength(3)
    expect(replies()).toHaveLength(3)
    expect(backend.calls).toHaveLength(0)
  })

  it("a forum topic message is answered in its topic; a reply thread outside topics is not a topic", async () => {
    const forum = supergroup(-100600, true)
    holdHealthUntilTyping()
    const [inTopic] = await exchange([messageUpdate(4006, "/status", { chat: forum, threadId: 456, topic: true })])
    expect(inTopic!.body.message_thread_id).toBe(456)
    expect(telegram.callsTo("sendChatAction")[0]!.body.message_thread_id).toBe(456)
    const [plain] = await exchange([messageUpdate(4006, "/help", { chat: supergroup(-100601), threadId: 77 })])
    expect(plain!.body).not.toHaveProperty("message_thread_id")
  })

  it("a reply that fails once (500) is sent again; the command ran once", async () => {
    const chat = TRUSTED[1]!
    // Only the command's reply fails: the worker's status message for the job must not take it.
    telegram.failWhen("sendMessage", (body) => body.chat_id === chat && !isWorkerText(body.text), { status: 500 })
    const [failed, delivered] = await exchange([messageUpdate(chat, "/run portrait a cat")], 2)
    expect(delivered!.body).toEqual(failed!.body)
    const promptId = /^\[Job Submitted\]\nID: (\S+)\n/.exec(delivered!.body.text)![1]!
    expect(backend.callsTo("POST", "/openclaw/triggers/fire")).toHaveLength(1)
    // The worker follows the one job: one status message for it, in the same chat.
    await telegram.waitFor(() => statusMessages(chat, promptId).length > 0)
    await exchange([messageUpdate(chat, "/help")])
    expect(backend.callsTo("POST", "/openclaw/triggers/fire")).toHaveLength(1)
    expect(statusMessages(chat)).toHaveLength(1)
    expect(statusMessages(chat, promptId)[0]!.body.text).toBe(`⏳ Job ${promptId}: queued`)
  })

  it("a 429 is waited out for retry_after and the same message is delivered", async () => {
    // Only this chat's reply is limited: another test's late worker message must not take the 429.
    telegram.failWhen("sendMessage", (body) => body.chat_id === 4003, { status: 429, retryAfter: 1 })
    const [limited, delivered] = await exchange([messageUpdate(4003, "/help")], 2)
    expect(delivered!.body).toEqual(limited!.body)
    expect(delivered!.at - limited!.at).toBeGreaterThanOrEqual(1000)
  })

  it("approval buttons: an untrusted press is refused, the admin's approves once, a repeat does nothing", async () => {
    const group = supergroup(-100700)
    const [pending] = await exchange([messageUpdate(4004, "/run portrait a fox", { chat: group })])
    const approvalId = /ID: (apr_[0-9a-f]{12})/.exec(pending!.body.text)![1]!
    const [list] = await exchange([messageUpdate(ADMIN, "/approvals", { chat: group })])
    const buttons: Array<any> = list!.body.reply_markup.inline_keyboard.flat()
    const approve = buttons.find((b) => b.text.startsWith("Approve") && b.text.includes(approvalId.slice(0, 8)))
    expect(approve).toBeDefined()
    expect(approve.callback_data).toMatch(/^c1\./)
    expect(Buffer.byteLength(approve.callback_data)).toBeLessThanOrEqual(64)
    const approveCalls = () => backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)

    const stranger = await press(pressUpdate(4005, approve.callback_data, { chat: group, messageId: 9 }))
    expect(stranger.body.text).toBe("[Access Denied] This command requires Admin privileges.")
    expect(approveCalls()).toHaveLength(0)

    const admin = await press(pressUpdate(ADMIN, approve.callback_data, { chat: group, messageId: 9 }))
    expect(admin.body).not.toHaveProperty("text")
    const approvedIn = (chatId?: number) => sends(chatId).filter((s) => s.body.text.startsWith("[Approved]"))
    await telegram.waitFor(() => approvedIn().length > 0)
    expect(approvedIn()).toHaveLength(1)
    expect(approvedIn()[0]!.body).toMatchObject({ chat_id: -100700, text: expect.stringMatching(new RegExp(`^\\[Approved\\] ${approvalId}\\nExecuted: \\S+`)) })
    expect(approveCalls()).toHaveLength(1)
    // The executed job is followed for the requester's chat (the group): its status message.
    const executed = /\nExecuted: (\S+)/.exec(approvedIn()[0]!.body.text)![1]!
    await telegram.waitFor(() => statusMessages(-100700, executed).length > 0)

    const again = await press(pressUpdate(ADMIN, approve.callback_data, { chat: group, messageId: 9 }))
    expect(again.body).not.toHaveProperty("text")
    await exchange([messageUpdate(ADMIN, "/help", { chat: group })])
    expect(approveCalls()).toHaveLength(1)
    expect(approvedIn()).toHaveLength(1)
    expect(statusMessages(-100700)).toHaveLength(1)
  })

  it("forged, expired, foreign and misplaced button data is refused and runs nothing", async () => {
    const group = supergroup(-100800)
    await exchange([messageUpdate(4007, "/run portrait an owl", { chat: group })])
    const [list] = await exchange([messageUpdate(ADMIN, "/approvals", { chat: group })])
    const data: string = list!.body.reply_markup.inline_keyboard.flat()[0].callback_data
    const forged = data.slice(0, -1) + (data.endsWith("a") ? "b" : "a")
    expect((await press(pressUpdate(ADMIN, forged, { chat: group }))).body.text).toBe("This button is not valid here.")
    const elsewhere = await press(pressUpdate(ADMIN, data, { chat: supergroup(-100801) }))
    expect(elsewhere.body.text).toBe("This button is not valid here.")
    const unknown = "c1.AAAAAAAAAAAAAAAA.1700000000.0123456789abcdef0123456789abcdef"
    expect((await press(pressUpdate(ADMIN, unknown, { chat: group }))).body.text).toBe("This button has expired. Send the command instead.")
    const foreign = await press(pressUpdate(ADMIN, "some-other-bot-data", { chat: group }))
    expect(foreign.body).not.toHaveProperty("text")
    expect(backend.calls.filter((c) => /\/approvals\/.+\/(approve|reject)$/.test(c.path))).toHaveLength(0)
  })

  it("a restart in the middle of a batch handles every update exactly once", async () => {
    const chat = TRUSTED[2]!
    let fires = 0
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    backend.override("POST", "/openclaw/triggers/fire", async (call) => {
      const n = ++fires
      if (n === 2) await held
      return reply(200, { triggered: true, prompt_id: `p-restart-${n}`, trace_id: (call.body as any).trace_id, deduped: false })
    })
    const ids = telegram.push(...["r1", "r2", "r3", "r4"].map((p) => messageUpdate(chat, `/run portrait ${p}`)))
    await waitForBackend(2)
    // SIGTERM while update 2's command is in flight: it completes, its reply goes out, then exit.
    const stopped = service.stop()
    await service.waitFor(/Telegram polling stopping/)
    release()
    expect(await stopped).toBe(0)
    expect(fires).toBe(2)
    expect(replies(chat).map((s) => /\nID: (\S+)/.exec(s.body.text)?.[1])).toEqual(["p-restart-1", "p-restart-2"])
    expect(telegram.pending()).toEqual(ids)

    const callsBeforeRestart = backend.calls.length
    service = start()
    await service.waitFor(/Telegram polling as @OpenClawTestBot/)
    await telegram.waitFor(() => replies(chat).length >= 4)
    await exchange([messageUpdate(chat, "/help")])
    const prompts = backend.callsTo("POST", "/openclaw/triggers/fire").map((c) => (c.body as any).inputs.positive_prompt)
    expect(prompts).toEqual(["r1", "r2", "r3", "r4"])
    expect(replies(chat).map((s) => /\nID: (\S+)/.exec(s.body.text)?.[1])).toEqual(["p-restart-1", "p-restart-2", "p-restart-3", "p-restart-4", undefined])
    expect(telegram.confirmedOffset).toBeGreaterThan(ids.at(-1)!)
    // The worker follows every job: those left open by the first process are resumed (their
    // /history is asked again), those handled after the restart get their status message. (The
    // status line of a resumed job is not asserted: the product drops progress signals that come
    // before the Telegram adapter has registered its delivery.)
    const askedAfterRestart = (job: string) => backend.calls.slice(callsBeforeRestart).some((c) => c.path === `/history/${job}`)
    await waitUntil(() => askedAfterRestart("p-restart-1") && askedAfterRestart("p-restart-2"), "resumed jobs followed")
    await telegram.waitFor(() => ["p-restart-3", "p-restart-4"].every((job) => statusMessages(chat, job).length > 0))
    // A job's status is one message edited in place: never a second message for the same job.
    for (const n of [1, 2, 3, 4]) expect(statusMessages(chat, `p-restart-${n}`).length).toBeLessThanOrEqual(1)
    expect(statusMessages(chat).every((s) => /^⏳ Job p-restart-[1-4]: /u.test(s.body.text))).toBe(true)
  })
})

/** Waits (bounded poll) until `condition` holds. */
const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Waits (bounded) until the backend received `n` fire calls. */
const waitForBackend = (n: number) =>
  waitUntil(() => backend.callsTo("POST", "/openclaw/triggers/fire").length >= n, `backend received ${n} fire calls`)

describe("Telegram end to end (webhook mode)", () => {
  const SECRET = "e2e_webhook-secret-token"
  let hooks: TelegramApiFake
  let webhookService: ServiceProcess
  let url: string

  /** POSTs an update the way Telegram does (JSON, the secret token header unless overridden). */
  const deliver = async (update: Record<string, unknown>, secret: string | null = SECRET) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }) },
      body: JSON.stringify(update)
    })
    return { status: res.status, text: await res.text() }
  }

  beforeAll(async () => {
    hooks = await startTelegramApiFake({ token: TOKEN })
    const [port, operatorPort] = [await freePort(), await freePort()]
    url = `http://127.0.0.1:${port}/telegram/webhook`
    webhookService = startService({
      ...env,
      OPENCLAW_CONNECTOR_TELEGRAM_API_ROOT: hooks.url,
      OPENCLAW_CONNECTOR_TELEGRAM_MODE: "webhook",
      OPENCLAW_CONNECTOR_TELEGRAM_WEBHOOK_SECRET: SECRET,
      OPENCLAW_CONNECTOR_TELEGRAM_BIND: "127.0.0.1",
      OPENCLAW_CONNECTOR_TELEGRAM_PORT: String(port),
      OPENCLAW_CONNECTOR_TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
      OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort)
    })
    await webhookService.waitFor(new RegExp(`Telegram webhook listening on 127\\.0\\.0\\.1:${port}/telegram/webhook`))
    await webhookService.waitFor(/Telegram webhook registered/)
  })

  afterAll(async () => {
    await webhookService?.stop()
    await hooks?.close()
  })

  it("registers the webhook with its secret, refuses requests without it, and runs each update_id once", async () => {
    const [registration] = hooks.callsTo("setWebhook")
    expect(registration!.body).toEqual({
      url: "https://bot.example.org/telegram/webhook",
      secret_token: SECRET,
      allowed_updates: ["message", "channel_post", "callback_query"]
    })
    expect(hooks.callsTo("getUpdates")).toHaveLength(0)
    const update = { update_id: 900001, message: { message_id: 3, chat: { id: 4010, type: "private" }, from: user(4010), text: "/status" } }
    expect(await deliver(update, null)).toEqual({ status: 401, text: "Unauthorized" })
    expect(await deliver(update, "wrong")).toEqual({ status: 401, text: "Unauthorized" })
    expect(backend.callsTo("GET", "/openclaw/health")).toHaveLength(0)
    expect(await deliver(update)).toEqual({ status: 200, text: "OK" })
    await hooks.waitFor((c) => count("sendMessage")(c) >= 1)
    expect(await deliver(update)).toEqual({ status: 200, text: "OK" })
    const marker = { update_id: 900002, message: { message_id: 4, chat: { id: 4010, type: "private" }, from: user(4010), text: "/help" } }
    expect(await deliver(marker)).toEqual({ status: 200, text: "OK" })
    await hooks.waitFor((c) => count("sendMessage")(c) >= 2)
    expect(hooks.callsTo("sendMessage").map((c) => c.body.chat_id)).toEqual([4010, 4010])
    expect(backend.callsTo("GET", "/openclaw/health")).toHaveLength(1)
    expect(webhookService.output()).not.toContain(SECRET)
    expect(webhookService.output()).not.toContain(TOKEN)
  })
})
