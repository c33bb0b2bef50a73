import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import { type LineApiCall, type LineApiFake, PUSH_PATH, REPLY_PATH, startLineApiFake, textsOf } from "./support/LineApiFake.js"
import { deliveryBody, lineSignature, postbackEvent, postLine, textEvent } from "./support/LineClient.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"

/**
 * The built service (`node dist/main.js`) with LINE enabled, against a fake OpenClaw backend and a
 * fake LINE Messaging API, both on 127.0.0.1: what LINE receives, and what the backend is asked.
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
const SECRET = "e2e-line-channel-secret"
const ACCESS_TOKEN = "e2e-line-access-token"
const ADMIN = "Uadmin0000000000000000000000000001"
const TRUSTED = "Utrusted000000000000000000000000001"

let backend: FakeBackend
let line: LineApiFake
let service: ServiceProcess
let webhook: string

const post = (events: ReadonlyArray<unknown>) => postLine(webhook, SECRET, deliveryBody(events))

/** Posts `events` (200 expected) and waits until `n` LINE API calls were made since. */
const exchange = async (events: ReadonlyArray<unknown>, n = 1): Promise<ReadonlyArray<LineApiCall>> => {
  const before = line.calls.length
  const res = await post(events)
  expect(res).toEqual({ status: 200, text: "OK" })
  const calls = await line.waitFor((c) => c.length >= before + n)
  return calls.slice(before)
}

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  line = await startLineApiFake()
  const [linePort, operatorPort] = [await freePort(), await freePort()]
  webhook = `http://127.0.0.1:${linePort}/line/webhook`
  service = startService({
    OPENCLAW_CONNECTOR_URL: backend.url,
    OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
    OPENCLAW_CONNECTOR_ADMIN_USERS: ADMIN,
    OPENCLAW_CONNECTOR_LINE_CHANNEL_SECRET: SECRET,
    OPENCLAW_CONNECTOR_LINE_CHANNEL_ACCESS_TOKEN: ACCESS_TOKEN,
    OPENCLAW_CONNECTOR_LINE_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_LINE_PORT: String(linePort),
    OPENCLAW_CONNECTOR_LINE_API_ROOT: line.url,
    OPENCLAW_CONNECTOR_LINE_ALLOWED_USERS: TRUSTED,
    OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort)
  })
  await service.waitFor(new RegExp(`LINE webhook listening on 127\\.0\\.0\\.1:${linePort}/line/webhook`))
  await service.waitFor(/Connector ready/)
})

afterAll(async () => {
  await service?.stop()
  await line?.close()
  await backend?.close()
})

beforeEach(() => {
  backend.reset()
  line.reset()
})

describe("LINE end to end", () => {
  it("the console Verify request is 200 OK; a bad signature is 401 and runs nothing", async () => {
    expect(await post([])).toEqual({ status: 200, text: "OK" })
    const body = deliveryBody([textEvent("/status", { userId: "U1" })])
    expect(await postLine(webhook, SECRET, body, { signature: "invalid_sig" })).toEqual({ status: 401, text: "Invalid Signature" })
    expect(await postLine(webhook, SECRET, body, { signature: "" })).toEqual({ status: 401, text: "Invalid Signature" })
    expect(await postLine(webhook, SECRET, body, { signature: lineSignature("wrong", body) })).toEqual({ status: 401, text: "Invalid Signature" })
    expect(await postLine(webhook, SECRET, "{oops")).toEqual({ status: 400, text: "Bad JSON" })
    // A later valid delivery is served: nothing above ran.
    const [call] = await exchange([textEvent("/help", { userId: "U1" })])
    expect(call!.path).toBe(REPLY_PATH)
    expect(backend.calls).toHaveLength(0)
  })

  it("/help is answered through the reply API with the event's reply token and the bearer token", async () => {
    const [call] = await exchange([textEvent("/help", { userId: "Ustranger1", replyToken: "reply-token-help" })])
    expect(call!.method).toBe("POST")
    expect(call!.path).toBe(REPLY_PATH)
    expect(call!.headers["authorization"]).toBe(`Bearer ${ACCESS_TOKEN}`)
    expect(call!.headers["content-type"]).toMatch(/^application\/json/)
    expect(call!.body.replyToken).toBe("reply-token-help")
    expect(call!.body.messages).toHaveLength(1)
    expect(call!.body.messages[0].type).toBe("text")
    expect(call!.body.messages[0].text).toContain("/run <template> [prompt] [k=v]")
    expect(service.output()).not.toContain(ACCESS_TOKEN)
  })

  it("an untrusted /run becomes an approval request; a trusted one runs directly", async () => {
    const [pending] = await exchange([textEvent("/run portrait a dog", { userId: "Ustranger2" })])
    expect(textsOf([pending!])[0]).toMatch(/^\[Approval Requested\]\nID: apr_[0-9a-f]{12}\n/)
    const [untrusted] = backend.callsTo("POST", "/openclaw/triggers/fire")
    expect((untrusted!.body as any).require_approval).toBe(true)
    expect((untrusted!.body as any).inputs).toEqual({ positive_prompt: "a dog" })
    await exchange([textEvent("/run portrait a cat", { userId: TRUSTED })])
    const trusted = backend.callsTo("POST", "/openclaw/triggers/fire")[1]
    expect((trusted!.body as any).require_approval).toBe(false)
  })

  it("an admin's /approvals carries postback buttons; a press approves once; a repeat or a forgery does not", async () => {
    const [pending] = await exchange([textEvent("/run portrait a fox", { userId: "Ustranger3" })])
    const approvalId = textsOf([pending!])[0]!.match(/ID: (apr_[0-9a-f]{12})/)![1]!
    const [list] = await exchange([textEvent("/approvals", { userId: ADMIN })])
    expect(textsOf([list!]).join("\n")).toContain(`- ${approvalId} [pending] template=portrait`)
    const items: Array<any> = list!.body.messages.at(-1).quickReply.items
    const approve = items.find((i) => i.action.label === `Approve ${approvalId.slice(0, 8)}`)
    expect(approve).toMatchObject({ type: "action", action: { type: "postback", displayText: `Approve ${approvalId.slice(0, 8)}` } })
    expect(approve.action.data).not.toContain("/approve")

    const press = postbackEvent(approve.action.data, { userId: ADMIN, replyToken: "press-token" })
    const [approved] = await exchange([press])
    expect(approved!.body.replyToken).toBe("press-token")
    expect(textsOf([approved!])[0]).toMatch(new RegExp(`^\\[Approved\\] ${approvalId}\\nExecuted: \\S+`))
    const approveCalls = () => backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)
    expect(approveCalls()).toHaveLength(1)
    expect(approveCalls()[0]!.headers["x-openclaw-admin-token"]).toBe(ADMIN_TOKEN)

    // The same event again, the same button in a new event, then a /help as a marker: events of
    // one delivery run in order, so once /help is answered the presses were handled.
    expect(await post([press])).toEqual({ status: 200, text: "OK" })
    const marker = await exchange([postbackEvent(approve.action.data, { userId: ADMIN }), textEvent("/help", { userId: ADMIN })])
    expect(textsOf(marker)[0]).toContain("/run <template>")
    expect(approveCalls()).toHaveLength(1)

    const data: string = approve.action.data
    const forged = data.slice(0, -1) + (data.endsWith("a") ? "b" : "a")
    const [refused] = await exchange([postbackEvent(forged, { userId: ADMIN })])
    expect(textsOf([refused!])).toEqual(["This button is not valid here."])
    const rewritten = data.replace("oc1|a|", "oc1|r|")
    const [refusedToo] = await exchange([postbackEvent(rewritten, { userId: ADMIN })])
    expect(textsOf([refusedToo!])).toEqual(["This button is not valid here."])
    expect(backend.callsTo("POST", `/openclaw/approvals/${approvalId}/reject`)).toHaveLength(0)
  })

  it("a duplicate delivery runs the command once", async () => {
    const event = textEvent("/run portrait twice", { userId: TRUSTED })
    await exchange([event])
    expect(await post([event])).toEqual({ status: 200, text: "OK" })
    await exchange([textEvent("/help", { userId: TRUSTED })])
    expect(backend.callsTo("POST", "/openclaw/triggers/fire")).toHaveLength(1)
  })

  it("group chatter gets no answer; a slash command in the group does", async () => {
    const calls = await exchange([
      textEvent("lunch anyone?", { userId: "Umember1", groupId: "Cgroup1" }),
      textEvent("/help", { userId: "Umember1", groupId: "Cgroup1", replyToken: "group-token" })
    ])
    expect(calls.map((c) => c.body.replyToken)).toEqual(["group-token"])
    expect(line.calls).toHaveLength(1)
  })

  it("an expired reply token (400 from the reply API) falls back to push to the same chat", async () => {
    line.answer(REPLY_PATH, { status: 400, json: { message: "Invalid reply token" } })
    const calls = await exchange([textEvent("/help", { userId: "Uslow1", replyToken: "expired-token" })], 2)
    expect(calls.map((c) => c.path)).toEqual([REPLY_PATH, PUSH_PATH])
    const push = calls[1]!
    expect(push.body.to).toBe("Uslow1")
    expect(push.body.messages).toEqual(calls[0]!.body.messages)
    expect(push.headers["authorization"]).toBe(`Bearer ${ACCESS_TOKEN}`)
    expect(push.headers["x-line-retry-key"]).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("an event processed late (older than the reply window) goes straight to push", async () => {
    const [call] = await exchange([textEvent("/help", { userId: "Uslow2", timestamp: Date.now() - 55_000 })])
    expect(call!.path).toBe(PUSH_PATH)
    expect(call!.body.to).toBe("Uslow2")
  })
})
