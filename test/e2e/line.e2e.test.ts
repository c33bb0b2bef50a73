import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import { LOADING_PATH, type LineApiCall, type LineApiFake, PUSH_PATH, REPLY_PATH, startLineApiFake, textsOf } from "./support/LineApiFake.js"
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

/** Events as built by LineClient: each carries a reply token unless built with `replyToken: null`. */
type LineEvent = { readonly replyToken?: string }

/** Reply-API calls that carry one of `tokens`, in order. */
const repliesWith = (calls: ReadonlyArray<LineApiCall>, tokens: ReadonlyArray<string | undefined>) =>
  calls.filter((c) => c.path === REPLY_PATH && tokens.includes(c.body?.replyToken))

/** Calls addressed to `chat`: pushes (`to`) and loading animations (`chatId`). */
const callsFor = (calls: ReadonlyArray<LineApiCall>, chat: string) =>
  calls.filter((c) => c.body?.to === chat || c.body?.chatId === chat)

/** In the order made: replies with `token` and every call addressed to `chat`. */
const answersIn = (calls: ReadonlyArray<LineApiCall>, token: string, chat: string) =>
  calls.filter((c) => (c.path === REPLY_PATH && c.body?.replyToken === token) || c.body?.to === chat || c.body?.chatId === chat)

/**
 * Posts `events` (200 expected) and waits until `n` of them were answered through the reply API,
 * matched by their reply tokens. The delivery worker talks to chats on its own (a "working" push
 * and LINE's loading animation for every job it follows), so answers are never "the next calls".
 */
const exchange = async (events: ReadonlyArray<LineEvent>, n = 1): Promise<ReadonlyArray<LineApiCall>> => {
  const tokens = events.map((e) => e.replyToken)
  const res = await post(events)
  expect(res).toEqual({ status: 200, text: "OK" })
  const calls = await line.waitFor((c) => repliesWith(c, tokens).length >= n)
  return repliesWith(calls, tokens)
}

/** `/openclaw/triggers/fire` calls whose free text was `prompt`. */
const firesWith = (prompt: string) =>
  backend.callsTo("POST", "/openclaw/triggers/fire").filter((c) => (c.body as any)?.inputs?.positive_prompt === prompt)

/**
 * The delivery worker's progress for job `promptId` in the 1:1 chat `chat`: LINE cannot edit, so
 * one "working" push (with a retry key) and the loading animation. Waiting for both also keeps
 * this traffic out of the next test.
 */
const workingNotice = async (chat: string, promptId: string) => {
  const text = `⏳ Job ${promptId} is running…`
  const calls = await line.waitFor((c) =>
    c.some((x) => x.path === PUSH_PATH && x.body?.to === chat && textsOf([x]).includes(text)) &&
    c.some((x) => x.path === LOADING_PATH && x.body?.chatId === chat)
  )
  const pushes = callsFor(calls, chat).filter((c) => c.path === PUSH_PATH && textsOf([c]).includes(text))
  expect(pushes).toHaveLength(1)
  expect(pushes[0]!.headers["x-line-retry-key"]).toMatch(/^[0-9a-f-]{36}$/)
  expect(pushes[0]!.headers["authorization"]).toBe(`Bearer ${ACCESS_TOKEN}`)
}

/** The prompt id in a `[Job Submitted]` or `[Approved]` answer. */
const promptIdOf = (text: string) => text.match(/(?:^\[Job Submitted\]\nID|\nExecuted): (\S+)/)![1]!

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

  it("an untrusted /run becomes an approval request; a trusted one runs directly and the worker says it runs", async () => {
    const [pending] = await exchange([textEvent("/run portrait a dog", { userId: "Ustranger2" })])
    expect(textsOf([pending!])[0]).toMatch(/^\[Approval Requested\]\nID: apr_[0-9a-f]{12}\n/)
    const untrusted = firesWith("a dog")
    expect(untrusted).toHaveLength(1)
    expect((untrusted[0]!.body as any).require_approval).toBe(true)
    const [submitted] = await exchange([textEvent("/run portrait a cat", { userId: TRUSTED })])
    expect(textsOf([submitted!])[0]).toMatch(/^\[Job Submitted\]\nID: \S+\n/)
    const trusted = firesWith("a cat")
    expect(trusted).toHaveLength(1)
    expect((trusted[0]!.body as any).require_approval).toBe(false)
    await workingNotice(TRUSTED, promptIdOf(textsOf([submitted!])[0]!))
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
    // The executed job is delivered to the requester's chat, and only there.
    await workingNotice("Ustranger3", promptIdOf(textsOf([approved!])[0]!))

    // The same event again, the same button in a new event, then a /help as a marker: events of
    // one delivery run in order, so once /help is answered the presses were handled.
    expect(await post([press])).toEqual({ status: 200, text: "OK" })
    const again = postbackEvent(approve.action.data, { userId: ADMIN, replyToken: "press-again-token" })
    const marker = await exchange([again, textEvent("/help", { userId: ADMIN })])
    expect(textsOf(marker)[0]).toContain("/run <template>")
    expect(repliesWith(line.calls, ["press-token", "press-again-token"])).toHaveLength(1)
    expect(approveCalls()).toHaveLength(1)

    const data: string = approve.action.data
    const forged = data.slice(0, -1) + (data.endsWith("a") ? "b" : "a")
    const [refused] = await exchange([postbackEvent(forged, { userId: ADMIN })])
    expect(textsOf([refused!])).toEqual(["This button is not valid here."])
    const rewritten = data.replace("oc1|a|", "oc1|r|")
    const [refusedToo] = await exchange([postbackEvent(rewritten, { userId: ADMIN })])
    expect(textsOf([refusedToo!])).toEqual(["This button is not valid here."])
    expect(backend.callsTo("POST", `/openclaw/approvals/${approvalId}/reject`)).toHaveLength(0)
    expect(callsFor(line.calls, ADMIN)).toEqual([])
  })

  it("a duplicate delivery runs the command once", async () => {
    const event = textEvent("/run portrait twice", { userId: TRUSTED })
    const [submitted] = await exchange([event])
    expect(await post([event])).toEqual({ status: 200, text: "OK" })
    await exchange([textEvent("/help", { userId: TRUSTED })])
    expect(firesWith("twice")).toHaveLength(1)
    expect(repliesWith(line.calls, [event.replyToken])).toHaveLength(1)
    await workingNotice(TRUSTED, promptIdOf(textsOf([submitted!])[0]!))
  })

  it("group chatter gets no answer; a slash command in the group does", async () => {
    const calls = await exchange([
      textEvent("lunch anyone?", { userId: "Umember1", groupId: "Cgroup1", replyToken: "chatter-token" }),
      textEvent("/help", { userId: "Umember1", groupId: "Cgroup1", replyToken: "group-token" })
    ])
    expect(calls.map((c) => c.body.replyToken)).toEqual(["group-token"])
    // Events of one delivery run in order: the chatter was handled before /help was answered.
    expect(repliesWith(line.calls, ["chatter-token", "group-token"])).toHaveLength(1)
    expect([...callsFor(line.calls, "Cgroup1"), ...callsFor(line.calls, "Umember1")]).toEqual([])
  })

  it("an expired reply token (400 from the reply API) falls back to push to the same chat", async () => {
    line.answer(REPLY_PATH, { status: 400, json: { message: "Invalid reply token" } })
    expect(await post([textEvent("/help", { userId: "Uslow1", replyToken: "expired-token" })])).toEqual({ status: 200, text: "OK" })
    const mine = (c: ReadonlyArray<LineApiCall>) => answersIn(c, "expired-token", "Uslow1")
    const calls = mine(await line.waitFor((c) => mine(c).some((x) => x.path === PUSH_PATH)))
    expect(calls.map((c) => c.path)).toEqual([REPLY_PATH, PUSH_PATH])
    const push = calls[1]!
    expect(push.body.to).toBe("Uslow1")
    expect(push.body.messages).toEqual(calls[0]!.body.messages)
    expect(textsOf([push])[0]).toContain("/run <template>")
    expect(push.headers["authorization"]).toBe(`Bearer ${ACCESS_TOKEN}`)
    expect(push.headers["x-line-retry-key"]).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("an event processed late (older than the reply window) goes straight to push", async () => {
    const late = textEvent("/help", { userId: "Uslow2", replyToken: "late-token", timestamp: Date.now() - 55_000 })
    expect(await post([late])).toEqual({ status: 200, text: "OK" })
    const mine = (c: ReadonlyArray<LineApiCall>) => answersIn(c, "late-token", "Uslow2")
    const calls = mine(await line.waitFor((c) => mine(c).length > 0))
    expect(calls.map((c) => c.path)).toEqual([PUSH_PATH])
    expect(textsOf(calls)[0]).toContain("/run <template>")
  })
})
