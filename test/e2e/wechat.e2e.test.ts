import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"
import { makeWeChatClient, nowSeconds, replyContent, textMessageXml } from "./support/WeChatClient.js"
import { type FakeWeChatApi, startFakeWeChatApi } from "./support/WeChatFakeApi.js"

/**
 * The built service (`node dist/main.js`) with WeChat enabled, against a fake OpenClaw backend
 * and a fake WeChat API on 127.0.0.1: what WeChat would receive on the wire, what the backend is
 * asked, and what goes out through the Customer Service API. Run `npm run build` first.
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
const TOKEN = "e2e-wechat-token"
const APP_ID = "wx_e2e_app_id"
const APP_SECRET = "e2e-wechat-app-secret"
const AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
const STATUS_TEXT = "[Online] System Status\n- Logs: 0\n- Errors: 0\n- Queue: 0"

let backend: FakeBackend
let api: FakeWeChatApi
let service: ServiceProcess
let client: ReturnType<typeof makeWeChatClient>

let ids = 0
const msg = (from: string, content: string) => textMessageXml({ from, content, to: "gh_e2e", msgId: `${Date.now()}${++ids}` })
const healthCalls = () => backend.callsTo("GET", "/openclaw/health").length
const field = (xml: string, name: string) => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?(.*?)(?:\\]\\]>)?</${name}>`).exec(xml)?.[1]

beforeAll(async () => {
  backend = await startFakeBackend({ adminToken: ADMIN_TOKEN })
  api = await startFakeWeChatApi()
  const [port, operatorPort] = [await freePort(), await freePort()]
  service = startService({
    OPENCLAW_CONNECTOR_URL: backend.url,
    OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
    OPENCLAW_CONNECTOR_WECHAT_TOKEN: TOKEN,
    OPENCLAW_CONNECTOR_WECHAT_APP_ID: APP_ID,
    OPENCLAW_CONNECTOR_WECHAT_APP_SECRET: APP_SECRET,
    OPENCLAW_CONNECTOR_WECHAT_ENCODING_AES_KEY: AES_KEY,
    OPENCLAW_CONNECTOR_WECHAT_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_WECHAT_PORT: String(port),
    OPENCLAW_CONNECTOR_WECHAT_API_ROOT: api.url,
    OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
    OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort)
  })
  await service.waitFor(/Connector ready/)
  await service.waitFor(new RegExp(`WeChat webhook listening on 127\\.0\\.0\\.1:${port}/wechat/webhook`))
  client = makeWeChatClient({ url: `http://127.0.0.1:${port}/wechat/webhook`, token: TOKEN, appId: APP_ID, encodingAesKey: AES_KEY })
})

afterAll(async () => {
  await service?.stop()
  await api?.close()
  await backend?.close()
})

describe("WeChat Official Account end to end", () => {
  it("the GET handshake echoes echostr for a valid signature and refuses a bad one", async () => {
    const ok = await client.handshake("e2e-echo-1234")
    expect([ok.status, ok.text]).toEqual([200, "e2e-echo-1234"])
    const bad = await client.handshake("x", { signature: "0".repeat(40) })
    expect([bad.status, bad.text]).toEqual([403, "Verification failed"])
  })

  it("/help is answered with a passive reply XML addressed back to the user", async () => {
    const res = await client.send(msg("oE2E1", "/help"))
    expect(res.status).toBe(200)
    expect(res.contentType).toBe("application/xml; charset=utf-8")
    expect(res.text).toMatch(/^<xml><ToUserName><!\[CDATA\[oE2E1\]\]><\/ToUserName><FromUserName><!\[CDATA\[gh_e2e\]\]><\/FromUserName><CreateTime>\d+<\/CreateTime><MsgType><!\[CDATA\[text\]\]><\/MsgType><Content><!\[CDATA\[/)
    expect(replyContent(res.text)).toContain("/run <template> [prompt] [k=v]")
  })

  it("safe mode: an encrypted request gets an encrypted reply that decrypts to the answer", async () => {
    backend.reset()
    const res = await client.send(msg("oE2E2", "/status"), { aes: true })
    expect(res.status).toBe(200)
    expect(res.text).toMatch(/^<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><MsgSignature>/)
    const inner = client.openReply(res.text)
    expect(field(inner, "ToUserName")).toBe("oE2E2")
    expect(replyContent(inner)).toBe(STATUS_TEXT)
    expect(healthCalls()).toBe(1)
  })

  it("a slow command gets a quick 'working' reply, then exactly one Customer Service message; the backend runs it once", async () => {
    backend.reset()
    api.reset()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    backend.override("GET", "/openclaw/health", async () => {
      await gate
      return { status: 200, json: { status: "ok", stats: { logs_processed: 0, errors_captured: 0 } } }
    })
    const res = await client.send(msg("oE2E3", "/status"))
    expect(res.status).toBe(200)
    expect(replyContent(res.text)).toBe("Working on it, the result will follow.")
    expect(api.sendCalls()).toHaveLength(0)
    release()
    await api.waitUntil(() => api.sendCalls().length >= 1, "the Customer Service message")
    const [send] = api.sendCalls()
    expect(send!.query["access_token"]).toBe("token-1")
    expect(send!.body).toEqual({ touser: "oE2E3", msgtype: "text", text: { content: STATUS_TEXT } })
    expect(api.tokenCalls()).toHaveLength(1)
    expect(api.tokenCalls()[0]!.query).toEqual({ grant_type: "client_credential", appid: APP_ID, secret: APP_SECRET })
    // One run: the reference called the command a second time for the late message (X1).
    expect(healthCalls()).toBe(1)
  })

  it("a replayed nonce is refused with 403 and the command runs once", async () => {
    backend.reset()
    const delivery = client.delivery(msg("oE2E4", "/status"))
    expect(replyContent((await client.post(delivery)).text)).toBe(STATUS_TEXT)
    const again = await client.post(delivery)
    expect([again.status, again.text]).toEqual([403, "Replay Rejected"])
    expect(healthCalls()).toBe(1)
  })

  it("a stale timestamp is refused with 403 and a bad signature with 401; nothing runs", async () => {
    backend.reset()
    const old = String(Number(nowSeconds()) - 400)
    const stale = await client.send(msg("oE2E5", "/status"), { timestamp: old })
    expect([stale.status, stale.text]).toEqual([403, "Stale Request"])
    const forged = await client.send(msg("oE2E5", "/status"), { signature: "f".repeat(40) })
    expect([forged.status, forged.text]).toEqual([401, "Invalid Signature"])
    expect(healthCalls()).toBe(0)
  })

  it("logs where it listens and never prints the app secret, the token or the access token", () => {
    expect(service.output()).toMatch(/WeChat webhook listening on 127\.0\.0\.1:\d+\/wechat\/webhook/)
    expect(service.output()).not.toContain(APP_SECRET)
    expect(service.output()).not.toContain("token-1")
    expect(service.output()).not.toContain(TOKEN)
  })
})
