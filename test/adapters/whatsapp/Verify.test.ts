import * as crypto from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { beforeEach, vi } from "vitest"
import { hmacSha256 } from "../../../src/adapters/crypto/HmacSignature.js"
import { checkDeliverySignature, handshake, verifyTokenMatches } from "../../../src/adapters/whatsapp/Verify.js"
import { APP_SECRET, rawRequest, setup } from "./harness.js"

// Every call to timingSafeEqual is observed, so the test can see which comparisons are made.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual)

const secret = (s: string) => Option.some(Redacted.make(s))
const signed = (body: string, header: string | undefined, appSecret = secret("secret123")) =>
  checkDeliverySignature(rawRequest("POST", body, header === undefined ? {} : { "x-hub-signature-256": header }), appSecret)

describe("X-Hub-Signature-256 (spec §11.2 vectors)", () => {
  it("secret123 over {} is the spec's digest; sha256=bad_sig is refused", () => {
    const expected = "9e402917284946302bbda3be03ba5f9859d2745280066f88178145ad908ff098"
    expect(hmacSha256("secret123", Buffer.from("{}"), "hex")).toBe(expected)
    expect(signed("{}", `sha256=${expected}`)).toBe("valid")
    expect(signed("{}", "sha256=bad_sig")).toBe("mismatch")
    expect(signed("{}", undefined)).toBe("missing-signature")
  })

  it("wa-app-secret over the business-account object", () => {
    const header = "sha256=13d6fa9d29fdcc7a5003aac3ac8772d674b9a16569c96e35cae1e505ecfb9fce"
    expect(signed(`{"object":"whatsapp_business_account"}`, header, secret("wa-app-secret"))).toBe("valid")
  })

  it("the sha256= prefix is optional", () => {
    const hex = "6036dfa3deec14afbd2682dd122a1cbb8cfc3e1a5b0c0f50e5deff0f3cd1933c"
    expect(signed(`{"event":"test"}`, hex, secret("webhook-secret-key"))).toBe("valid")
    expect(signed(`{"event":"test"}`, `sha256=${hex}`, secret("webhook-secret-key"))).toBe("valid")
    expect(signed(`{"test": 1}`, "4c2582f16b1edf9def99083dde5c2be038c125004e9e2a24b24d691b89c25dd7", secret("my-hmac-secret")))
      .toBe("valid")
  })

  it("uppercase hex is refused", () => {
    const hex = "9e402917284946302bbda3be03ba5f9859d2745280066f88178145ad908ff098"
    expect(signed("{}", `sha256=${hex.toUpperCase()}`)).toBe("mismatch")
    expect(signed("{}", hex.toUpperCase())).toBe("mismatch")
  })

  it("no app secret refuses everything, even a signature made with an empty key (W1)", () => {
    const emptyKeySig = `sha256=${crypto.createHmac("sha256", Buffer.alloc(0)).update("{}").digest("hex")}`
    expect(signed("{}", emptyKeySig, Option.none())).toBe("missing-secret")
    expect(signed("{}", emptyKeySig, secret(""))).toBe("missing-secret")
  })
})

describe("POST authentication at the route", () => {
  it.scopedLive("the §11.2 vectors pass the route; a bad signature gets 401 Invalid Signature", () =>
    Effect.gen(function*() {
      const h = yield* setup({ route: { appSecret: secret("secret123") } })
      // {} is not a business-account notification: acknowledged and ignored once authenticated.
      const ok = yield* h.deliverRaw("{}", { "x-hub-signature-256": "sha256=9e402917284946302bbda3be03ba5f9859d2745280066f88178145ad908ff098" })
      expect([ok.status, ok.text]).toEqual([200, "OK"])
      const bad = yield* h.deliverRaw("{}", { "x-hub-signature-256": "sha256=bad_sig" })
      expect([bad.status, bad.text]).toEqual([401, "Invalid Signature"])
      expect(h.probe.claims).toEqual([])
    }))

  it.scopedLive("without an app secret every POST is refused with 401, and the warning is logged once", () =>
    Effect.gen(function*() {
      const h = yield* setup({ route: { appSecret: Option.none() } })
      const body = JSON.stringify({ object: "whatsapp_business_account", entry: [] })
      const headers: ReadonlyArray<Record<string, string>> = [{}, { "x-hub-signature-256": `sha256=${hmacSha256(APP_SECRET, Buffer.from(body), "hex")}` }]
      for (const header of headers) {
        const res = yield* h.deliverRaw(body, header)
        expect([res.status, res.text]).toEqual([401, "Invalid Signature"])
      }
      expect(h.logs.filter((l) => l.includes("OPENCLAW_CONNECTOR_WHATSAPP_APP_SECRET is not set"))).toHaveLength(1)
      expect(h.probe.claims).toEqual([])
      expect(h.backend.calls).toEqual([])
    }))
})

describe("GET verification handshake", () => {
  const token = secret("dummy_verify")
  const query = (q: Record<string, string>) => new URLSearchParams(q)
  beforeEach(() => {
    timingSafeEqual.mockClear()
  })

  it("the right token echoes the challenge verbatim as text/plain", () => {
    const res = handshake(query({ "hub.mode": "subscribe", "hub.verify_token": "dummy_verify", "hub.challenge": "1234" }), token)
    expect(res.status).toBe(200)
    expect(res.body).toBe("1234")
    expect(res.headers?.["content-type"]).toBe("text/plain; charset=utf-8")
    const odd = handshake(query({ "hub.mode": "subscribe", "hub.verify_token": "dummy_verify", "hub.challenge": "a b<&>\u00e9" }), token)
    expect(odd.body).toBe("a b<&>\u00e9")
  })

  it("a wrong token, a wrong mode or a missing token gets 403 Verification failed", () => {
    const queries: ReadonlyArray<Record<string, string>> = [
      { "hub.mode": "subscribe", "hub.verify_token": "wrong_token", "hub.challenge": "1234" },
      { "hub.mode": "unsubscribe", "hub.verify_token": "dummy_verify", "hub.challenge": "1234" },
      { "hub.mode": "subscribe", "hub.challenge": "1234" },
      { "hub.verify_token": "dummy_verify", "hub.challenge": "1234" }
    ]
    for (const q of queries) {
      expect(handshake(query(q), token)).toEqual({ status: 403, body: "Verification failed" })
    }
    // No configured token (cannot happen when enabled) matches nothing, not even an empty one.
    expect(handshake(query({ "hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1" }), Option.none()).status)
      .toBe(403)
  })

  it("the token is compared in constant time on equal-length digests, whatever the given length (W2)", () => {
    for (const given of ["dummy_verify", "dummy_verifx", "d", "x".repeat(500), ""]) {
      timingSafeEqual.mockClear()
      verifyTokenMatches(given, token)
      expect(timingSafeEqual).toHaveBeenCalledTimes(1)
      const [a, b] = timingSafeEqual.mock.calls[0]! as unknown as [Buffer, Buffer]
      expect([a.length, b.length]).toEqual([32, 32])
    }
    expect(verifyTokenMatches("dummy_verify", token)).toBe(true)
    expect(verifyTokenMatches("dummy_verifx", token)).toBe(false)
    expect(verifyTokenMatches("dummy_verify ", token)).toBe(false)
  })

  it.scopedLive("the GET route answers the handshake", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const ok = yield* h.verify("hub.mode=subscribe&hub.verify_token=dummy_verify&hub.challenge=1234")
      expect([ok.status, ok.text, ok.headers["content-type"]]).toEqual([200, "1234", "text/plain; charset=utf-8"])
      const bad = yield* h.verify("hub.mode=subscribe&hub.verify_token=wrong_token&hub.challenge=1234")
      expect([bad.status, bad.text]).toEqual([403, "Verification failed"])
    }))
})
