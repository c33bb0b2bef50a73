import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Redacted } from "effect"
import { slackSignature, verifySlackSignature } from "../../../src/adapters/slack/Signature.js"

/** Spec §13 V1-V3 and Slack's published example; properties: any change is refused. */
const V1_SECRET = "test_signing_secret_abc123"
const V1_TS = "1700000000"
const V1_BODY = `{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`
const V1_SIG = "v0=c1f303e201541c4813567b8966051a5126cbca8938ca6cfee25f9a9c316acf79"
const V1_CHALLENGE = `{"type":"url_verification","challenge":"abc123xyz"}`
const V1_CHALLENGE_SIG = "v0=9cd8fd1b882e04a0d6afb19422e148af9e8f0536c3ad3019a6023ebae4fc5649"

const V2_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
const V2_TS = "1531420618"
const V2_BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
const V2_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

const V3_SECRET = "test_signing_secret_f59"
const V3_BODY =
  "payload=%7B%22type%22%3A%22block_actions%22%2C%22team%22%3A%7B%22id%22%3A%22T_F59%22%7D%2C%22user%22%3A%7B%22id%22%3A%22U_F59%22%2C%22username%22%3A%22tester%22%7D%2C%22channel%22%3A%7B%22id%22%3A%22C_F59%22%7D%2C%22trigger_id%22%3A%22trigger-1%22%2C%22actions%22%3A%5B%7B%22type%22%3A%22button%22%2C%22action_id%22%3A%22status-action%22%2C%22action_ts%22%3A%221700000000.001%22%2C%22value%22%3A%22%2Fstatus%22%7D%5D%7D"
const V3_SIG = "v0=0c889d766fd78e1cecdcd7af299ff0c3b5483740a966592162109e6809b7386b"

const at = (ts: string) => Number(ts) * 1000
const check = (secret: string, ts: string, body: string | Uint8Array, signature: string | undefined, now = at(ts)) =>
  verifySlackSignature(
    { body: typeof body === "string" ? Buffer.from(body) : body, timestamp: ts, signature },
    Redacted.make(secret),
    now
  )

describe("Slack v0 signature: vectors", () => {
  it("spec V1: event and url_verification bodies", () => {
    expect(slackSignature(V1_SECRET, V1_TS, V1_BODY)).toBe(V1_SIG)
    expect(slackSignature(V1_SECRET, V1_TS, V1_CHALLENGE)).toBe(V1_CHALLENGE_SIG)
    expect(check(V1_SECRET, V1_TS, V1_BODY, V1_SIG)).toBe("valid")
    expect(check(V1_SECRET, V1_TS, V1_CHALLENGE, V1_CHALLENGE_SIG)).toBe("valid")
  })

  it("Slack's published example (spec V2)", () => {
    expect(slackSignature(V2_SECRET, V2_TS, V2_BODY)).toBe(V2_SIG)
    expect(check(V2_SECRET, V2_TS, V2_BODY, V2_SIG)).toBe("valid")
  })

  it("spec V3: the interaction form body", () => {
    expect(slackSignature(V3_SECRET, V1_TS, V3_BODY)).toBe(V3_SIG)
    expect(check(V3_SECRET, V1_TS, V3_BODY, V3_SIG)).toBe("valid")
  })

  it("spec V12 invalid signatures, another secret, missing parts", () => {
    for (const bad of ["v0=deadbeef", "v0=invalid", `v0=${"0".repeat(64)}`, V1_SIG.toUpperCase(), V1_SIG.replace("v0=", "v1=")]) {
      expect(check(V1_SECRET, V1_TS, V1_BODY, bad)).toBe("mismatch")
    }
    expect(check("another-secret", V1_TS, V1_BODY, V1_SIG)).toBe("mismatch")
    expect(check(V1_SECRET, V1_TS, V1_BODY, undefined)).toBe("missing-signature")
    expect(check(V1_SECRET, V1_TS, V1_BODY, "")).toBe("missing-signature")
    expect(verifySlackSignature({ body: Buffer.from(V1_BODY), timestamp: undefined, signature: V1_SIG }, Redacted.make(V1_SECRET), at(V1_TS)))
      .toBe("missing-timestamp")
    expect(verifySlackSignature({ body: Buffer.from(V1_BODY), timestamp: V1_TS, signature: V1_SIG }, Redacted.make(""), at(V1_TS)))
      .toBe("missing-secret")
    expect(verifySlackSignature({ body: Buffer.from(V1_BODY), timestamp: V1_TS, signature: V1_SIG }, undefined, at(V1_TS)))
      .toBe("missing-secret")
  })

  it("the 300 s window is symmetric and inclusive; malformed timestamps are refused", () => {
    expect(check(V1_SECRET, V1_TS, V1_BODY, V1_SIG, at(V1_TS) + 300_000)).toBe("valid")
    expect(check(V1_SECRET, V1_TS, V1_BODY, V1_SIG, at(V1_TS) - 300_000)).toBe("valid")
    expect(check(V1_SECRET, V1_TS, V1_BODY, V1_SIG, at(V1_TS) + 300_001)).toBe("stale")
    expect(check(V1_SECRET, V1_TS, V1_BODY, V1_SIG, at(V1_TS) - 300_001)).toBe("stale")
    for (const ts of [" 1700000000", "+1700000000", "1_700_000_000", "1700000000.0", "-1", "abc"]) {
      const sig = slackSignature(V1_SECRET, ts, V1_BODY)
      expect(check(V1_SECRET, ts, V1_BODY, sig, at(V1_TS))).toBe("bad-timestamp")
    }
  })

  it("bytes that are not UTF-8 and non-ASCII headers are mismatches, never exceptions (reference: 500)", () => {
    const bytes = Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0x7d])
    expect(check(V1_SECRET, V1_TS, bytes, slackSignature(V1_SECRET, V1_TS, bytes))).toBe("valid")
    expect(check(V1_SECRET, V1_TS, bytes, "v0=é✓")).toBe("mismatch")
    expect(verifySlackSignature({ body: bytes, timestamp: [V1_TS, V1_TS], signature: V1_SIG }, Redacted.make(V1_SECRET), at(V1_TS)))
      .toBe("mismatch")
  })
})

describe("Slack v0 signature: properties", () => {
  const secret = fc.string({ minLength: 1, maxLength: 40 })
  const body = fc.uint8Array({ maxLength: 300 })
  const ts = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }).map(String)

  it.prop("a correctly signed request within the window verifies", [secret, ts, body, fc.integer({ min: -300_000, max: 300_000 })], ([s, t, b, skew]) => {
    expect(check(s, t, b, slackSignature(s, t, b), at(t) + skew)).toBe("valid")
  })

  it.prop("any change to the body is refused", [secret, ts, body, fc.nat(), fc.integer({ min: 1, max: 255 })], ([s, t, b, i, x]) => {
    const signature = slackSignature(s, t, b)
    const changed = Buffer.from(b.length === 0 ? [x] : b)
    if (b.length > 0) changed[i % b.length] = changed[i % b.length]! ^ x
    expect(check(s, t, changed, signature)).not.toBe("valid")
    expect(check(s, t, Buffer.concat([Buffer.from(b), Buffer.from([x])]), signature)).not.toBe("valid")
  })

  it.prop("any change to the timestamp is refused, even one inside the window", [secret, ts, body, fc.integer({ min: -300, max: 300 }).filter((d) => d !== 0)], ([s, t, b, d]) => {
    const signature = slackSignature(s, t, b)
    const other = String(Number(t) + d)
    expect(check(s, other, b, signature, at(t))).not.toBe("valid")
  })

  it.prop("any change to the signature is refused", [secret, ts, body, fc.nat(), fc.constantFrom(..."0123456789abcdefABCDEF=v ")], ([s, t, b, i, c]) => {
    const signature = slackSignature(s, t, b)
    const at_ = i % signature.length
    fc.pre(signature[at_] !== c)
    const changed = signature.slice(0, at_) + c + signature.slice(at_ + 1)
    expect(check(s, t, b, changed)).not.toBe("valid")
    expect(check(s, t, b, signature.slice(0, -1))).not.toBe("valid")
    expect(check(s, t, b, `${signature}0`)).not.toBe("valid")
  })

  it.prop("outside the 300 s window nothing verifies", [secret, ts, body, fc.integer({ min: 300_001, max: 10_000_000 }), fc.boolean()], ([s, t, b, skew, future]) => {
    expect(check(s, t, b, slackSignature(s, t, b), at(t) + (future ? -skew : skew))).toBe("stale")
  })
})
