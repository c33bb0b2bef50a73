import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Metric } from "effect"
import { splitUtf8 } from "../../../src/adapters/wechat/Reply.js"
import { WORKING_TEXT } from "../../../src/adapters/wechat/WeChatWebhook.js"
import { inboundCounter } from "../../../src/domain/model/Metrics.js"
import { encrypt, freshNonce, nowSeconds, replyContent, sha1Sorted, textMessageXml } from "../../e2e/support/WeChatClient.js"
import { AES_KEY, STATUS_TEXT, startHarness, TOKEN } from "./harness.js"

const p = <A>(promise: () => Promise<A>) => Effect.promise(promise)
const field = (xml: string, name: string) => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?(.*?)(?:\\]\\]>)?</${name}>`).exec(xml)?.[1]
let ids = 0
const msg = (from: string, content: string) => textMessageXml({ from, content, to: "gh_official", msgId: `${Date.now()}${++ids}` })

describe("WeChat GET handshake", () => {
  it.scopedLive("echoes echostr for a valid signature (any case) and refuses the rest", () =>
    Effect.gen(function*() {
      const { client } = yield* startHarness()
      const echostr = "4242 <script>&é"
      const ok = yield* p(() => client.handshake(echostr))
      expect([ok.status, ok.text]).toEqual([200, echostr])
      const ts = nowSeconds()
      const upper = sha1Sorted([TOKEN, ts, "n1"]).toUpperCase()
      expect((yield* p(() => client.handshake("e", { timestamp: ts, nonce: "n1", signature: upper }))).status).toBe(200)
      const bad = yield* p(() => client.handshake("e", { signature: "0".repeat(40) }))
      expect([bad.status, bad.text]).toEqual([403, "Verification failed"])
      const stale = yield* p(() => client.handshake("e", { timestamp: String(Number(ts) - 600) }))
      expect([stale.status, stale.text]).toEqual([403, "Verification failed"])
    }))
})

describe("WeChat POST in plain mode", () => {
  it.scopedLive("/help gets a passive XML reply addressed back to the user", () =>
    Effect.gen(function*() {
      const { client, backend } = yield* startHarness()
      const res = yield* p(() => client.send(msg("oUser1", "/help")))
      expect(res.status).toBe(200)
      expect(res.contentType).toBe("application/xml; charset=utf-8")
      expect(field(res.text, "ToUserName")).toBe("oUser1")
      expect(field(res.text, "FromUserName")).toBe("gh_official")
      expect(field(res.text, "MsgType")).toBe("text")
      expect(replyContent(res.text)).toContain("/run <template>")
      expect(backend.calls).toHaveLength(0)
    }))

  it.scopedLive("refuses bad signatures (401), stale or future timestamps (403) and replayed or empty nonces (403)", () =>
    Effect.gen(function*() {
      const { client, statusRuns } = yield* startHarness()
      const body = msg("oUser2", "/status")
      const expectAnswer = (status: number, text: string) => (r: { status: number; text: string }) => expect([r.status, r.text]).toEqual([status, text])
      expectAnswer(401, "Invalid Signature")(yield* p(() => client.send(body, { signature: "f".repeat(40) })))
      expectAnswer(401, "Invalid Signature")(yield* p(() => client.send(body, { signature: "" })))
      const nonce = freshNonce()
      const old = String(Number(nowSeconds()) - 400)
      expectAnswer(403, "Stale Request")(yield* p(() => client.send(body, { nonce, timestamp: old })))
      expectAnswer(403, "Stale Request")(yield* p(() => client.send(body, { timestamp: String(Number(nowSeconds()) + 120) })))
      expectAnswer(403, "Stale Request")(yield* p(() => client.send(body, { timestamp: "" })))
      expectAnswer(403, "Replay Rejected")(yield* p(() => client.send(body, { nonce: "" })))
      expect(statusRuns()).toBe(0)
      // The stale request did not use up its nonce (X9): a fresh request with it is served once.
      const delivery = client.delivery(body, { nonce })
      const first = yield* p(() => client.post(delivery))
      expect(replyContent(first.text)).toBe(STATUS_TEXT)
      expectAnswer(403, "Replay Rejected")(yield* p(() => client.post(delivery)))
      expect(statusRuns()).toBe(1)
    }))

  it.scopedLive("a redelivery of the same MsgId with a new nonce is acknowledged with success and not run again", () =>
    Effect.gen(function*() {
      const { client, statusRuns } = yield* startHarness()
      const before = (yield* Metric.value(inboundCounter("wechat", "duplicate"))).count
      const body = msg("oUser3", "/status")
      expect(replyContent((yield* p(() => client.send(body))).text)).toBe(STATUS_TEXT)
      const again = yield* p(() => client.send(body))
      expect([again.status, again.text]).toEqual([200, "success"])
      expect(statusRuns()).toBe(1)
      expect((yield* Metric.value(inboundCounter("wechat", "duplicate"))).count - before).toBe(1)
    }))

  it.scopedLive("bodies that are not acceptable XML get 400 Bad Request; unsupported types get success", () =>
    Effect.gen(function*() {
      const { client, backend } = yield* startHarness()
      for (const body of ["not xml", `<!DOCTYPE x [<!ENTITY e "v">]><xml><Content>&e;</Content></xml>`, `<xml>${"<a>".repeat(5)}</xml>`]) {
        const res = yield* p(() => client.send(body))
        expect([res.status, res.text], body).toEqual([400, "Bad Request"])
      }
      const image = `<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[image]]></MsgType><MsgId>1</MsgId></xml>`
      const scan = `<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[123]]></EventKey></xml>`
      for (const body of [image, scan]) {
        const res = yield* p(() => client.send(body))
        expect([res.status, res.text]).toEqual([200, "success"])
      }
      expect(backend.calls).toHaveLength(0)
    }))

  it.scopedLive("user text in the reply is not entity-escaped and ]]> survives; CDATA text with <!ENTITY is accepted", () =>
    Effect.gen(function*() {
      const { client } = yield* startHarness()
      const res = yield* p(() => client.send(msg("oUser4", "a&b<c>]]>d <!ENTITY x>")))
      expect(res.status).toBe(200)
      expect(replyContent(res.text)).toBe("Unknown command: a&b<c>]]>d. Type /help for options.")
    }))

  it.scopedLive("a reply over 2048 bytes: the first part passively, the rest through the Customer Service API", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* startHarness()
      const word = "a".repeat(3000)
      const expected = `Unknown command: ${word}. Type /help for options.`
      const res = yield* p(() => client.send(msg("oUser5", word)))
      const first = replyContent(res.text)
      const pieces = splitUtf8(expected, 2048)
      expect(first).toBe(pieces[0])
      yield* p(() => fake.waitUntil(() => fake.sendCalls().length === pieces.length - 1, "the overflow sends"))
      const sent = fake.sendCalls().map((c) => c.body as { touser: string; text: { content: string } })
      expect(sent.every((b) => b.touser === "oUser5")).toBe(true)
      const all = [first, ...sent.map((b) => b.text.content)]
      for (const piece of all) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(2048)
      expect(all).toEqual(pieces)
      expect(all.join("").replace(/\s/g, "")).toBe(expected.replace(/\s/g, ""))
    }))

  it.scopedLive("a replay store that cannot claim refuses with 503 and runs nothing", () =>
    Effect.gen(function*() {
      const { client, statusRuns } = yield* startHarness({ storeDown: true })
      const res = yield* p(() => client.send(msg("oUser6", "/status")))
      expect([res.status, res.text]).toEqual([503, "Service Unavailable"])
      expect(statusRuns()).toBe(0)
    }))
})

describe("WeChat POST in safe (AES) mode", () => {
  it.scopedLive("an encrypted request gets an encrypted, signed passive reply (X3)", () =>
    Effect.gen(function*() {
      const { client } = yield* startHarness()
      const res = yield* p(() => client.send(msg("oUser7", "/status"), { aes: true }))
      expect(res.status).toBe(200)
      expect(res.text).not.toContain("System Status")
      const inner = client.openReply(res.text)
      expect(field(inner, "ToUserName")).toBe("oUser7")
      expect(replyContent(inner)).toBe(STATUS_TEXT)
    }))

  it.scopedLive("refuses a wrong msg_signature (401), another AppID and short plaintexts (400 Decrypt Failed)", () =>
    Effect.gen(function*() {
      const { client, statusRuns } = yield* startHarness()
      const body = msg("oUser8", "/status")
      const wrongSig = yield* p(() => client.send(body, { aes: true, msgSignature: "0".repeat(40) }))
      expect([wrongSig.status, wrongSig.text]).toEqual([401, "Invalid msg_signature"])
      const signedEncrypt = (encrypted: string) => {
        const ts = nowSeconds()
        const nonce = freshNonce()
        const q = new URLSearchParams({
          signature: sha1Sorted([TOKEN, ts, nonce]),
          timestamp: ts,
          nonce,
          encrypt_type: "aes",
          msg_signature: sha1Sorted([TOKEN, ts, nonce, encrypted])
        })
        return { target: `/wechat/webhook?${q}`, body: `<xml><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>` }
      }
      const otherApp = yield* p(() => client.post(signedEncrypt(encrypt(AES_KEY, "wx_other", body))))
      expect([otherApp.status, otherApp.text]).toEqual([400, "Decrypt Failed"])
      const key = Buffer.from(`${AES_KEY}=`, "base64")
      const { createCipheriv } = yield* Effect.promise(() => import("node:crypto"))
      const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16)).setAutoPadding(false)
      const short = Buffer.concat([cipher.update(Buffer.concat([Buffer.alloc(8), Buffer.alloc(24, 24)])), cipher.final()]).toString("base64")
      const tooShort = yield* p(() => client.post(signedEncrypt(short)))
      expect([tooShort.status, tooShort.text]).toEqual([400, "Decrypt Failed"])
      const noEncrypt = yield* p(() => client.post({ ...signedEncrypt(""), body: "<xml><ToUserName>gh</ToUserName></xml>" }))
      expect([noEncrypt.status, noEncrypt.text]).toEqual([400, "Bad Request"])
      expect(statusRuns()).toBe(0)
    }))

  it.scopedLive("without AES settings an encrypted request is refused with 400, never 5xx", () =>
    Effect.gen(function*() {
      const { client, statusRuns } = yield* startHarness({ aes: false })
      const res = yield* p(() => client.send(msg("oUser9", "/status"), { aes: true }))
      expect([res.status, res.text]).toEqual([400, "Decrypt Failed"])
      expect(statusRuns()).toBe(0)
    }))
})

describe("WeChat slow commands (X1: run once)", () => {
  it.scopedLive("answer 'working' at once, then deliver the result once through the Customer Service API", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { client, fake, statusRuns } = yield* startHarness({ passiveWaitMillis: 50, slowHealth: gate })
      const res = yield* p(() => client.send(msg("oSlow1", "/status")))
      expect(res.status).toBe(200)
      expect(replyContent(res.text)).toBe(WORKING_TEXT)
      expect(fake.sendCalls()).toHaveLength(0)
      yield* Deferred.succeed(gate, undefined)
      yield* p(() => fake.waitUntil(() => fake.sendCalls().length >= 1, "the late send"))
      expect(fake.sendCalls().map((c) => c.body)).toEqual([{ touser: "oSlow1", msgtype: "text", text: { content: STATUS_TEXT } }])
      expect(fake.tokenCalls()).toHaveLength(1)
      expect(statusRuns()).toBe(1)
    }))

  it.scopedLive("in safe mode the 'working' answer is encrypted too", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const { client, fake } = yield* startHarness({ passiveWaitMillis: 50, slowHealth: gate })
      const res = yield* p(() => client.send(msg("oSlow2", "/status"), { aes: true }))
      expect(replyContent(client.openReply(res.text))).toBe(WORKING_TEXT)
      yield* Deferred.succeed(gate, undefined)
      yield* p(() => fake.waitUntil(() => fake.sendCalls().length >= 1, "the late send"))
      expect((fake.sendCalls()[0]!.body as { text: { content: string } }).text.content).toBe(STATUS_TEXT)
    }))
})
