import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"
import { buttonReply, notification, postRaw, postSigned, signatureOf, textMessage, verify } from "./support/WhatsAppClient.js"
import { type FakeGraphApi, startFakeGraphApi, waitUntil } from "./support/WhatsAppGraphApi.js"

/**
 * The built service (`node dist/main.js`) with WhatsApp enabled, against a fake OpenClaw backend
 * and a fake Graph API, both on 127.0.0.1: what Meta would receive, and what the backend is asked.
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
const ACCESS_TOKEN = "EAAG-e2e-access-token-value"
const VERIFY_TOKEN = "e2e-verify-token"
const APP_SECRET = "e2e-app-secret-value"
const PHONE_NUMBER_ID = "106540352242922"
const GRAPH_VERSION = "v21.0"
const ADMIN = "15550000001"

let backend: FakeBackend
let graph: FakeGraphApi
let service: ServiceProcess
let webhookUrl: string
let operatorUrl: string
let sequence = 0

const nextId = () => `wamid.e2e-${++sequence}`
const send = (...messages: ReadonlyArray<Record<string, unknown>>) => postSigned(webhookUrl, APP_SECRET, notification(messages))
const say = (from: string, text: string, id = nextId()) => send(textMessage({ from, id, text }))
/** The texts sent to `to`, once at least `count` have arrived. */
const textsTo = (to: string, count: number) =>
  waitUntil(() => graph.textsTo(to).length >= count && graph.textsTo(to), 10_000, `${count} texts to ${to}`)

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  graph = await startFakeGraphApi()
  const [port, operatorPort] = [await freePort(), await freePort()]
  webhookUrl = `http://127.0.0.1:${port}/whatsapp/webhook`
  operatorUrl = `http://127.0.0.1:${operatorPort}`
  service = startService({
    OPENCLAW_CONNECTOR_URL: backend.url,
    OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
    OPENCLAW_CONNECTOR_ADMIN_USERS: ADMIN,
    OPENCLAW_CONNECTOR_WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
    OPENCLAW_CONNECTOR_WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    OPENCLAW_CONNECTOR_WHATSAPP_APP_SECRET: APP_SECRET,
    OPENCLAW_CONNECTOR_WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    OPENCLAW_CONNECTOR_WHATSAPP_GRAPH_VERSION: GRAPH_VERSION,
    OPENCLAW_CONNECTOR_WHATSAPP_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_WHATSAPP_PORT: String(port),
    OPENCLAW_CONNECTOR_WHATSAPP_API_ROOT: graph.url,
    OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort)
  })
  await service.waitFor(new RegExp(`WhatsApp webhook listening on 127\\.0\\.0\\.1:${port}/whatsapp/webhook`))
  await service.waitFor(/Connector ready/)
})

afterAll(async () => {
  await service?.stop()
  await graph?.close()
  await backend?.close()
})

beforeEach(() => {
  backend.reset()
  graph.reset()
})

describe("WhatsApp end to end", () => {
  it("answers Meta's verification handshake only with the right token", async () => {
    const ok = await verify(webhookUrl, { "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "ch-1234" })
    expect([ok.status, ok.text, ok.contentType]).toEqual([200, "ch-1234", "text/plain; charset=utf-8"])
    const bad = await verify(webhookUrl, { "hub.mode": "subscribe", "hub.verify_token": "wrong_token", "hub.challenge": "1" })
    expect([bad.status, bad.text]).toEqual([403, "Verification failed"])
  })

  it("/help is acknowledged 200 OK and answered through the Graph API", async () => {
    const res = await say("15551230001", "/help")
    expect([res.status, res.text]).toEqual([200, "OK"])
    const [help] = await textsTo("15551230001", 1)
    expect(help).toContain("OpenClaw Connector")
    expect(help).toContain("/run <template> [prompt] [k=v]")
    const [call] = graph.calls
    expect(call!.method).toBe("POST")
    expect(call!.path).toBe(`/${GRAPH_VERSION}/${PHONE_NUMBER_ID}/messages`)
    expect(call!.headers["authorization"]).toBe(`Bearer ${ACCESS_TOKEN}`)
    expect(call!.headers["content-type"]).toBe("application/json; charset=utf-8")
    expect(call!.body).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "15551230001",
      type: "text",
      text: { preview_url: false, body: help }
    })
  })

  it("an untrusted /run never auto-executes: the backend is asked for an approval", async () => {
    await say("15551230002", "/run portrait a dog")
    const [reply] = await textsTo("15551230002", 1)
    expect(reply).toMatch(/^\[Approval Requested\]\nID: apr_[0-9a-f]{12}\n/)
    const calls = backend.callsTo("POST", "/openclaw/triggers/fire")
    expect(calls).toHaveLength(1)
    expect((calls[0]!.body as any).require_approval).toBe(true)
    expect((calls[0]!.body as any).inputs).toEqual({ positive_prompt: "a dog" })
  })

  it("an admin gets reply buttons for approvals; one press approves once, a repeat or a forgery runs nothing", async () => {
    await say("15551230003", "/run portrait a fox")
    const approvalId = (await textsTo("15551230003", 1))[0]!.match(/ID: (apr_[0-9a-f]{12})/)![1]!

    await say(ADMIN, "/approvals")
    const interactive = await waitUntil(() => {
      const found = graph.messagesTo(ADMIN).filter((m) => m.type === "interactive")
      return found.length > 0 && found
    }, 10_000, "the approval buttons")
    const sent = graph.messagesTo(ADMIN)
    expect(sent[0].type).toBe("text")
    expect(sent[0].text.body).toContain(`- ${approvalId} [pending] template=portrait`)
    const message = interactive[0]!.interactive
    expect(message.type).toBe("button")
    expect(message.body.text).toBe(`Approval ${approvalId}`)
    const buttons = message.action.buttons as Array<{ type: string; reply: { id: string; title: string } }>
    expect(buttons.map((b) => b.reply.title)).toEqual([`Approve ${approvalId.slice(0, 8)}`, `Reject ${approvalId.slice(0, 8)}`])
    expect(buttons.every((b) => b.type === "reply" && b.reply.id.startsWith("oc1|") && b.reply.title.length <= 20)).toBe(true)

    const approveId = buttons[0]!.reply.id
    const pressId = nextId()
    const press = buttonReply({ from: ADMIN, id: pressId, buttonId: approveId, title: buttons[0]!.reply.title })
    expect((await send(press)).status).toBe(200)
    const approved = await waitUntil(() => graph.textsTo(ADMIN).find((t) => t.startsWith("[Approved]")), 10_000, "the approval reply")
    expect(approved).toMatch(new RegExp(`^\\[Approved\\] ${approvalId}\\nExecuted: \\S+$`))
    const approveCalls = backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)
    expect(approveCalls).toHaveLength(1)
    expect(approveCalls[0]!.body).toEqual({ auto_execute: true })
    // The delivery worker follows the executed job in the requester's chat (WhatsApp cannot edit:
    // one "working" notice). Waiting for it also keeps it out of the next tests (it would take
    // their queued Graph answers).
    const promptId = approved.match(/\nExecuted: (\S+)$/)![1]!
    await textsTo("15551230003", 2)
    expect(graph.textsTo("15551230003")).toEqual([expect.stringMatching(/^\[Approval Requested\]/), `⏳ Job ${promptId} is running…`])

    // The same delivery again, a second tap on the same button, then a /help in the same delivery:
    // messages of one delivery run in order, so once /help is answered the presses were handled.
    const textsBefore = graph.textsTo(ADMIN).length
    await send(press, buttonReply({ from: ADMIN, id: nextId(), buttonId: approveId }), textMessage({ from: ADMIN, id: nextId(), text: "/help" }))
    const after = await textsTo(ADMIN, textsBefore + 1)
    expect(after.slice(textsBefore)).toEqual([expect.stringContaining("OpenClaw Connector")])
    expect(backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)).toHaveLength(1)

    // A forged button (right shape, wrong MAC) is refused with a short text; nothing reaches the backend.
    const forged = approveId.replace(/.{4}$/, (tail) => (tail === "0000" ? "1111" : "0000"))
    await send(buttonReply({ from: ADMIN, id: nextId(), buttonId: forged }))
    const refused = await textsTo(ADMIN, textsBefore + 2)
    expect(refused.at(-1)).toBe("This button is not valid here.")
    expect(backend.calls.filter((c) => c.path.includes("/approve"))).toHaveLength(1)
    expect(graph.textsTo("15551230003")).toHaveLength(2)
  })

  it("unsigned, wrongly signed and malformed deliveries are refused and run nothing", async () => {
    const body = JSON.stringify(notification([textMessage({ from: "15551230004", id: nextId(), text: "/status" })]))
    const unsigned = await postRaw(webhookUrl, body)
    expect([unsigned.status, unsigned.text]).toEqual([401, "Invalid Signature"])
    const wrong = await postRaw(webhookUrl, body, { "x-hub-signature-256": signatureOf("not-the-secret", body) })
    expect([wrong.status, wrong.text]).toEqual([401, "Invalid Signature"])
    const upper = await postRaw(webhookUrl, body, { "x-hub-signature-256": signatureOf(APP_SECRET, body).toUpperCase() })
    expect(upper.status).toBe(401)
    const bad = await postSigned(webhookUrl, APP_SECRET, "{not json")
    expect([bad.status, bad.text]).toEqual([400, "Bad JSON"])
    // A later valid delivery is served, and only it reached the backend.
    await say("15551230004", "/status")
    await textsTo("15551230004", 1)
    expect(backend.callsTo("GET", "/openclaw/health")).toHaveLength(1)
  })

  it("a Graph 401 shows up in the operator's /readyz as invalid_token; secrets never reach the logs", async () => {
    graph.answerNext({ status: 401, json: { error: { message: "Error validating access token", code: 190 } } })
    await say("15551230005", "/help")
    const readiness = await pollReadiness((p) => p.some((r) => r.platform === "whatsapp" && r.state === "invalid_token"))
    expect(readiness.find((r) => r.platform === "whatsapp")).toMatchObject({ platform: "whatsapp", state: "invalid_token" })
    const output = service.output()
    for (const secret of [ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, ADMIN_TOKEN]) expect(output).not.toContain(secret)
    expect(output).not.toContain(`${PHONE_NUMBER_ID}/messages`)
    expect(output).toContain("WhatsApp send failed")
  })
})

interface HealthRow {
  readonly platform: string
  readonly state: string
}

/** Polls GET /readyz until its `platforms` list satisfies `condition` (bounded). */
const pollReadiness = async (condition: (platforms: ReadonlyArray<HealthRow>) => boolean): Promise<ReadonlyArray<HealthRow>> => {
  const deadline = Date.now() + 10_000
  for (;;) {
    const body = await (await fetch(`${operatorUrl}/readyz`)).json() as { platforms: ReadonlyArray<HealthRow> }
    if (condition(body.platforms)) return body.platforms
    if (Date.now() > deadline) throw new Error(`readiness never matched: ${JSON.stringify(body.platforms)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
