import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import {
  BODY_REPLAY_TTL_MILLIS,
  CALLBACK_REPLAY_TTL_MILLIS,
  inboundEventOf,
  untrustedNote
} from "../../../src/adapters/kakao/Inbound.js"
import { decodeSkillRequest, malformedText, type SkillRequest } from "../../../src/adapters/kakao/Schema.js"

const bytes = (s: string) => Buffer.from(s, "utf8")
const reasonOf = (body: Uint8Array) =>
  Either.match(decodeSkillRequest(body), { onLeft: (e) => malformedText(e), onRight: () => "ok" })

describe("decodeSkillRequest", () => {
  it("reads user id, utterance and callbackUrl, ignoring everything else", () => {
    const body = bytes(JSON.stringify({
      intent: { id: "i" },
      userRequest: { user: { id: "u1", type: "botUserKey", properties: {} }, utterance: " /help ", callbackUrl: "https://cb" },
      bot: { id: "b" }
    }))
    const decoded = Either.getOrThrow(decodeSkillRequest(body))
    expect(decoded.userRequest).toEqual({ user: { id: "u1" }, utterance: " /help ", callbackUrl: "https://cb" })
  })

  it("refuses with short reasons", () => {
    expect(reasonOf(bytes("{not json"))).toBe("Bad JSON")
    expect(reasonOf(bytes(""))).toBe("Bad JSON")
    expect(reasonOf(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe("Bad Request: body is not valid UTF-8")
    for (const v of ["[]", "1", "null", "\"s\"", "true"]) expect(reasonOf(bytes(v))).toBe("Bad Request: expected a JSON object")
    expect(reasonOf(bytes("{}"))).toBe("Bad Request: missing or invalid userRequest")
    expect(reasonOf(bytes(`{"userRequest":{"utterance":"hi"}}`))).toBe("Bad Request: missing or invalid userRequest.user")
    expect(reasonOf(bytes(`{"userRequest":{"user":{},"utterance":"hi"}}`))).toBe("Bad Request: missing or invalid userRequest.user.id")
    expect(reasonOf(bytes(`{"userRequest":{"user":{"id":"  "},"utterance":"hi"}}`))).toBe("Bad Request: missing or invalid userRequest.user.id")
    expect(reasonOf(bytes(`{"userRequest":{"user":{"id":7},"utterance":"hi"}}`))).toBe("Bad Request: missing or invalid userRequest.user.id")
    expect(reasonOf(bytes(`{"userRequest":{"user":{"id":"u"},"utterance":5}}`))).toBe("Bad Request: missing or invalid userRequest.utterance")
    expect(reasonOf(bytes(`{"userRequest":{"user":{"id":"u"},"utterance":"x","callbackUrl":5}}`))).toBe(
      "Bad Request: missing or invalid userRequest.callbackUrl"
    )
  })

  it("a 10,000-deep nesting is refused, not crashed on", () => {
    const deep = "[".repeat(10_000) + "]".repeat(10_000)
    expect(reasonOf(bytes(deep))).toBe("Bad Request: expected a JSON object")
    const deepInside = `{"userRequest":{"user":{"id":"u"},"utterance":"x","extra":${deep}}}`
    expect(reasonOf(bytes(deepInside))).toBe("ok")
  })

  it("a deeply nested value in a field that is read is named, not rendered (no stack overflow)", () => {
    const deep = "[".repeat(300_000) + "]".repeat(300_000)
    expect(reasonOf(bytes(`{"userRequest":{"user":{"id":${deep}},"utterance":"x"}}`))).toBe(
      "Bad Request: missing or invalid userRequest.user.id"
    )
    expect(reasonOf(bytes(`{"userRequest":${deep}}`))).toBe("Bad Request: missing or invalid userRequest")
  })
})

describe("inboundEventOf (replay keys, bug K2 fixed)", () => {
  const decode = (s: string): SkillRequest => Either.getOrThrow(decodeSkillRequest(bytes(s)))

  it("without a callbackUrl: the raw body's sha256 for 10 s (spec §11.4 hashes)", () => {
    const raw = `{"userRequest": {"user": {"id": "user1"}, "utterance": "ping"}}`
    const event = inboundEventOf(decode(raw), bytes(raw))
    expect(event.eventKey).toBe("kakao:user1:97fe905ce4796d0a5a5169015e91fa169ddf729f2a9a4b3341f353add901f90d")
    expect(event.replayTtlMillis).toBe(BODY_REPLAY_TTL_MILLIS)
    expect(BODY_REPLAY_TTL_MILLIS).toBe(10_000)
    const raw2 = `{"userRequest": {"user": {"id": "u123"}, "utterance": "hello"}}`
    expect(inboundEventOf(decode(raw2), bytes(raw2)).eventKey).toBe(
      "kakao:u123:891547b745e1563bc1d58bf6bb163451ad64ca6867a849713eff7d0e64e323cb"
    )
    expect(event.request).toEqual({
      platform: "kakao",
      senderId: "user1",
      channelId: "user1",
      username: "user1",
      messageId: "97fe905ce4796d0a5a5169015e91fa169ddf729f2a9a4b3341f353add901f90d",
      text: "ping",
      workspaceId: "",
      threadId: "",
      channelKind: "dm"
    })
  })

  it("with a callbackUrl: keyed by the URL's sha256 for 300 s, whatever else the body holds", () => {
    const a = `{"userRequest":{"user":{"id":"u"},"utterance":"  /run x  ","callbackUrl":"https://cb.example/one"}}`
    const b = `{"userRequest":{"utterance":"/run x","user":{"id":"u"},"callbackUrl":"https://cb.example/one"}}`
    const c = `{"userRequest":{"user":{"id":"u"},"utterance":"/run x","callbackUrl":"https://cb.example/two"}}`
    const ea = inboundEventOf(decode(a), bytes(a))
    // sha256("https://cb.example/one")
    expect(ea.eventKey).toBe("kakao:u:cb:698d527535bbf202a77b3c7734b83cffb06e1792dfa915902b0e39ac72cada91")
    expect(ea.request.messageId).toBe("698d527535bbf202a77b3c7734b83cffb06e1792dfa915902b0e39ac72cada91")
    expect(ea.replayTtlMillis).toBe(CALLBACK_REPLAY_TTL_MILLIS)
    expect(ea.request.text).toBe("/run x")
    expect(inboundEventOf(decode(b), bytes(b)).eventKey).toBe(ea.eventKey)
    expect(inboundEventOf(decode(c), bytes(c)).eventKey).not.toBe(ea.eventKey)
    const nullCb = `{"userRequest":{"user":{"id":"u"},"utterance":"x","callbackUrl":null}}`
    expect(inboundEventOf(decode(nullCb), bytes(nullCb)).replayTtlMillis).toBe(BODY_REPLAY_TTL_MILLIS)
  })
})

describe("untrustedNote (log only)", () => {
  it("empty list, listed (case-insensitive, trimmed), not listed", () => {
    expect(untrustedNote([], "u")).toBe("Allow list empty; all users will require approval")
    expect(untrustedNote([" ", ""], "u")).toBe("Allow list empty; all users will require approval")
    expect(untrustedNote([" AbC "], "abc")).toBeUndefined()
    expect(untrustedNote(["x"], "abc")).toBe("Not in allowlist; approval required")
  })
})
