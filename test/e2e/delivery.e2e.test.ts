import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import {
  callsIn,
  eventually,
  historyCalls,
  killService,
  readLedger,
  submittedPromptId,
  waitForCall
} from "./support/DeliveryWire.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"
import { startTelegramApiFake, type TelegramApiFake } from "./support/TelegramApiFake.js"
import { messageUpdate, supergroup } from "./support/TelegramUpdates.js"

/**
 * Issue 5 end to end: the built service (`node dist/main.js`) with Telegram long polling against
 * a fake Bot API, and a fake OpenClaw/ComfyUI backend with its websocket, all on 127.0.0.1. A
 * `/run` is followed by the delivery worker on its own: the status message and its throttled
 * edits, the images (photo, or document when the photo is refused), failures, a crash and resume,
 * polling without the websocket, and an approval decided in the backend's UI. Each case uses its
 * own chat; the backend is never reset (that would drop the connector's websocket).
 */
const ADMIN_TOKEN = "e2e-delivery-admin-token"
const TOKEN = "515151:e2e-delivery-bot-token-secret"
const TRUSTED = [5101, 5102, 5103, 5104, 5105, 5106]
const UNTRUSTED = 5201
/** Photos above this get the fake's 413 (Telegram's limit is 10 MiB; DELIVERY_MAX_BYTES stays 10 MiB). */
const MAX_PHOTO_BYTES = 64 * 1024
/** The throttle is decided on the service's clock; arrival times at the fake carry transport jitter. */
const EDIT_INTERVAL_WITH_JITTER = 2_000 - 100

let backend: FakeBackend
let telegram: TelegramApiFake
let service: ServiceProcess
let env: Record<string, string>
let workDir: string

const start = () => startService(env, { workDir })

const texts = (chat: number) => callsIn(telegram, "sendMessage", chat).map((c) => String(c.body.text))
const statusPrefix = (promptId: string) => `⏳ Job ${promptId}`

/**
 * Pushes `/run portrait <prompt>` and waits for both the reply naming the prompt and the worker's
 * status message (so the job is being followed). They share the chat's queue in either order.
 */
const submit = async (chat: number, prompt: string, options: { from?: number; chatJson?: Record<string, unknown>; threadId?: number } = {}) => {
  telegram.push(messageUpdate(options.from ?? chat, `/run portrait ${prompt}`, {
    ...(options.chatJson === undefined ? {} : { chat: options.chatJson }),
    ...(options.threadId === undefined ? {} : { threadId: options.threadId, topic: true })
  }))
  const reply = await waitForCall(telegram, "sendMessage", chat, (c) => submittedPromptId(String(c.body.text)) !== undefined)
  const promptId = submittedPromptId(String(reply.body.text))!
  const status = await waitForCall(telegram, "sendMessage", chat, (c) => String(c.body.text) === `${statusPrefix(promptId)}: queued`)
  return { promptId, reply, status }
}

const edits = (chat: number, messageId: number) =>
  callsIn(telegram, "editMessageText", chat).filter((c) => Number(c.body.message_id) === messageId)

/** The text the status message was last edited to, as sent (the fake's own text map updates after its call waiters run). */
const lastEdit = (chat: number, messageId: number): string | undefined => edits(chat, messageId).at(-1)?.body.text

const photos = (chat: number) => callsIn(telegram, "sendPhoto", chat)

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  telegram = await startTelegramApiFake({ token: TOKEN, maxPhotoBytes: MAX_PHOTO_BYTES })
  workDir = mkdtempSync(join(tmpdir(), "openclaw-e2e-delivery-"))
  env = {
    OPENCLAW_CONNECTOR_URL: backend.url,
    OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
    OPENCLAW_CONNECTOR_PUBLIC_BASE_URL: "https://media.example.test",
    OPENCLAW_CONNECTOR_TELEGRAM_TOKEN: TOKEN,
    OPENCLAW_CONNECTOR_TELEGRAM_API_ROOT: telegram.url,
    OPENCLAW_CONNECTOR_TELEGRAM_ALLOWED_USERS: TRUSTED.join(","),
    OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_OPERATOR_PORT: String(await freePort())
  }
  service = start()
  await service.waitFor(/Telegram polling as @OpenClawTestBot/)
  await service.waitFor(/Connector ready/)
  await service.waitFor(/ComfyUI event socket connected/)
})

afterAll(async () => {
  await service?.stop()
  await telegram?.close()
  await backend?.close()
  if (workDir) rmSync(workDir, { recursive: true, force: true })
})

describe("Delivery end to end (Telegram, fake ComfyUI with websocket)", () => {
  it("/run: status message, progress edits at most one per 2 s, then the images with their names and types", async () => {
    const chat = TRUSTED[0]!
    const { promptId, status } = await submit(chat, "a lighthouse")
    const statusId = statusMessageId(chat, promptId)

    // ComfyUI's sampler ticks every 200 ms; the status message shows it at most every 2 s.
    backend.emit({ type: "execution_start", data: { prompt_id: promptId, timestamp: Date.now() } })
    backend.emit({ type: "executing", data: { node: "3", display_node: "3", prompt_id: promptId } })
    let ticks = 0
    const ticker = setInterval(() => {
      ticks = Math.min(ticks + 1, 40)
      backend.emit({ type: "progress", data: { value: ticks, max: 40, prompt_id: promptId, node: "3" } })
    }, 200)
    try {
      await telegram.waitFor(() => edits(chat, statusId).length >= 2, 10_000)
    } finally {
      clearInterval(ticker)
    }

    const png = { filename: `e2e_${promptId}_00001_.png`, subfolder: "", type: "output" }
    const jpg = { filename: `e2e_${promptId}_00002_.jpg`, subfolder: "portraits", type: "output" }
    backend.addFile(png, randomBytes(1234))
    backend.addFile(jpg, randomBytes(2345))
    backend.runPrompt(promptId, { nodes: [{ id: "3", steps: 2 }, { id: "9", images: [png] }, { id: "12", images: [jpg] }] })

    await telegram.waitFor(() => photos(chat).length >= 2 && lastEdit(chat, statusId) === `✅ Job ${promptId}: done`, 10_000)
    const [first, second] = photos(chat)
    expect(first!.body).toEqual({ chat_id: String(chat) })
    expect(first!.files).toEqual([{ field: "photo", filename: png.filename, contentType: "image/png", size: 1234 }])
    expect(second!.files).toEqual([{ field: "photo", filename: jpg.filename, contentType: "image/jpeg", size: 2345 }])

    // One status message; every edit names it; consecutive changes at least 2 s apart.
    const statusEdits = edits(chat, statusId)
    expect(statusEdits.length).toBeGreaterThanOrEqual(3)
    expect(statusEdits.length).toBeLessThan(ticks)
    expect(statusEdits.slice(0, -1).every((e) => String(e.body.text).startsWith(`${statusPrefix(promptId)}: `))).toBe(true)
    expect(statusEdits.at(-1)!.body.text).toBe(`✅ Job ${promptId}: done`)
    const times = [status.at, ...statusEdits.map((e) => e.at)]
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(EDIT_INTERVAL_WITH_JITTER)
    expect(texts(chat).filter((t) => t.startsWith(statusPrefix(promptId)))).toHaveLength(1)
    expect(callsIn(telegram, "sendDocument", chat)).toHaveLength(0)

    await eventually(() => readLedger(workDir, `job:${promptId}`).entry?.state === "delivered", "the ledger entry to be delivered")
    const { entry, receipts } = readLedger(workDir, `job:${promptId}`)
    expect(entry).toMatchObject({ statusRef: String(statusId), targetChannelId: String(chat) })
    expect(receipts.filter((r) => r.outcome === "sent").map((r) => [r.itemIndex, r.rung])).toEqual([[0, "image"], [1, "image"]])
  })

  it("a forum topic gets its status message and images in the same topic", async () => {
    const chat = -1001500
    const { promptId, reply, status } = await submit(chat, "a harbour", { from: TRUSTED[1]!, chatJson: supergroup(chat, true), threadId: 321 })
    expect(reply.body.message_thread_id).toBe(321)
    expect(status.body.message_thread_id).toBe(321)
    backend.runPrompt(promptId)
    await telegram.waitFor(() => photos(chat).length >= 2)
    expect(photos(chat).map((p) => p.body)).toEqual([
      { chat_id: String(chat), message_thread_id: "321" },
      { chat_id: String(chat), message_thread_id: "321" }
    ])
    expect(photos(chat).map((p) => p.files[0]!.filename)).toEqual([`ComfyUI_${promptId}_00001_.png`, `ComfyUI_temp_${promptId}_00001_.png`])
    expect(readLedger(workDir, `job:${promptId}`).entry).toMatchObject({ targetChannelId: String(chat), targetThreadId: "321" })
  })

  it("an image too large for a photo goes as a document; the ledger records both rungs", async () => {
    const chat = TRUSTED[3]!
    const { promptId } = await submit(chat, "a mountain")
    const big = { filename: `big_${promptId}.png`, subfolder: "", type: "output" }
    backend.addFile(big, randomBytes(MAX_PHOTO_BYTES * 3))
    backend.runPrompt(promptId, { nodes: [{ id: "9", images: [big] }] })
    const document = await waitForCall(telegram, "sendDocument", chat)
    expect(document.files).toEqual([{ field: "document", filename: big.filename, contentType: "image/png", size: MAX_PHOTO_BYTES * 3 }])
    // The photo was tried first and refused by Telegram (413), never delivered twice.
    expect(photos(chat).map((p) => p.files[0]!.size)).toEqual([MAX_PHOTO_BYTES * 3])
    expect(callsIn(telegram, "sendDocument", chat)).toHaveLength(1)
    expect(texts(chat).some((t) => t.includes("https://media.example.test"))).toBe(false)
    const sentAsDocument = () => readLedger(workDir, `job:${promptId}`).receipts.some((r) => r.rung === "document" && r.outcome === "sent")
    await eventually(sentAsDocument, "the document receipt in the ledger")
    expect(readLedger(workDir, `job:${promptId}`).receipts.map((r) => [r.itemIndex, r.rung, r.outcome])).toEqual([
      [0, "image", "attempt"],
      [0, "image", "refused"],
      [0, "document", "attempt"],
      [0, "document", "sent"]
    ])
  })

  it("a failed ComfyUI execution: the user gets ComfyUI's message and no image", async () => {
    const chat = TRUSTED[4]!
    const { promptId } = await submit(chat, "a storm")
    const statusId = statusMessageId(chat, promptId)
    backend.failPrompt(promptId, { message: "CUDA out of memory" })
    await waitForCall(telegram, "sendMessage", chat, (c) => c.body.text === `❌ Job ${promptId} failed: KSampler: CUDA out of memory`)
    await telegram.waitFor(() => lastEdit(chat, statusId) === `❌ Job ${promptId}: failed`)
    expect(photos(chat)).toHaveLength(0)
    expect(callsIn(telegram, "sendDocument", chat)).toHaveLength(0)
    expect(texts(chat).some((t) => t.includes("finished"))).toBe(false)
    await eventually(() => readLedger(workDir, `job:${promptId}`).entry?.state === "failed", "the ledger entry to be failed")
  })

  it("an approval approved in the backend's UI is followed and delivered once, to the requester's chat", async () => {
    const chat = UNTRUSTED
    telegram.push(messageUpdate(chat, "/run portrait a heron"))
    const request = await waitForCall(telegram, "sendMessage", chat, (c) => String(c.body.text).startsWith("[Approval Requested]"))
    const approvalId = /ID: (apr_[0-9a-f]+)/.exec(String(request.body.text))![1]!
    const approvalPath = `/openclaw/approvals/${approvalId}`
    await eventually(() => backend.callsTo("GET", approvalPath).length > 0, "the worker to ask about the approval")

    const promptId = backend.approveInUi(approvalId)
    await waitForCall(telegram, "sendMessage", chat, (c) => c.body.text === `${statusPrefix(promptId)}: queued`)
    backend.runPrompt(promptId)
    await telegram.waitFor(() => photos(chat).length >= 2)

    expect(photos(chat).map((p) => p.files[0]!.filename)).toEqual([`ComfyUI_${promptId}_00001_.png`, `ComfyUI_temp_${promptId}_00001_.png`])
    const elsewhere = telegram.callsTo("sendPhoto").filter((p) => Number(p.body.chat_id) !== chat && p.files[0]!.filename.includes(promptId))
    expect(elsewhere).toHaveLength(0)
    expect(readLedger(workDir, `approval:${approvalId}`).entry?.state).toBe("delivered")
    expect(readLedger(workDir, `job:${promptId}`).entry?.targetChannelId).toBe(String(chat))
    expect(backend.calls.filter((c) => c.method === "POST" && c.path.startsWith(`${approvalPath}/`))).toHaveLength(0)
  })

  it("killed with SIGKILL after the submission and restarted: the job is delivered exactly once", async () => {
    const chat = TRUSTED[2]!
    const { promptId } = await submit(chat, "a lantern")
    const statusId = statusMessageId(chat, promptId)
    // "After the submission": the ledger holds the job and its status message's id.
    await eventually(() => readLedger(workDir, `job:${promptId}`).entry?.statusRef === String(statusId), "the status message's ref in the ledger")
    await killService(service)

    // The prompt finishes while the connector is down.
    backend.runPrompt(promptId)
    service = start()
    await service.waitFor(/Connector ready/)
    await telegram.waitFor(() => photos(chat).length >= 2 && lastEdit(chat, statusId) === `✅ Job ${promptId}: done`, 15_000)
    await eventually(() => readLedger(workDir, `job:${promptId}`).entry?.state === "delivered", "the ledger entry to be delivered")

    expect(photos(chat).map((p) => p.files[0]!.filename)).toEqual([`ComfyUI_${promptId}_00001_.png`, `ComfyUI_temp_${promptId}_00001_.png`])
    // The resumed worker edits the status message it sent before the kill, instead of a new one.
    expect(texts(chat).filter((t) => t.startsWith(statusPrefix(promptId)))).toHaveLength(1)
    expect(texts(chat).filter((t) => submittedPromptId(t) !== undefined)).toHaveLength(1)
    const fires = backend.callsTo("POST", "/openclaw/triggers/fire").filter((c) => (c.body as any)?.inputs?.positive_prompt === "a lantern")
    expect(fires).toHaveLength(1)
    const { entry, receipts } = readLedger(workDir, `job:${promptId}`)
    expect(entry!.attempts).toBeGreaterThanOrEqual(2)
    expect(receipts.filter((r) => r.outcome === "sent")).toHaveLength(2)
    await service.waitFor(/ComfyUI event socket connected/)
  })

  it("with the websocket refused, /history polling still delivers", async () => {
    const chat = TRUSTED[5]!
    const accepted = () => backend.socketConnections.filter((c) => c.accepted).length
    backend.refuseSockets(true)
    backend.closeSockets()
    const acceptedBefore = accepted()
    await service.waitFor(/ComfyUI event socket lost/)
    try {
      const { promptId } = await submit(chat, "a meadow")
      backend.runPrompt(promptId)
      await telegram.waitFor(() => photos(chat).length >= 2, 15_000)
      expect(backend.openSockets).toBe(0)
      expect(accepted()).toBe(acceptedBefore)
      expect(historyCalls(backend, promptId).length).toBeGreaterThanOrEqual(2)
      expect(photos(chat).map((p) => p.files[0]!.filename)).toEqual([`ComfyUI_${promptId}_00001_.png`, `ComfyUI_temp_${promptId}_00001_.png`])
    } finally {
      backend.refuseSockets(false)
    }
  })
})

/**
 * The message id Telegram gave the job's status message: the one bot message in `chat` whose text
 * still starts with "⏳ Job <id>" (called right after it was sent, before any final edit).
 */
const statusMessageId = (chat: number, promptId: string): number => {
  const ids = Array.from({ length: telegram.calls.length + 1 }, (_, i) => i + 1)
    .filter((id) => telegram.textOf(chat, id)?.startsWith(statusPrefix(promptId)) === true)
  expect(ids).toHaveLength(1)
  return ids[0]!
}
