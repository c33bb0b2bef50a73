import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { planEvent, replayKeyOf, stripLeadingSelfMention, untrustedNote } from "../../../src/adapters/line/Inbound.js"
import { decodeLineDelivery, malformedText } from "../../../src/adapters/line/Schema.js"
import { followEvent, postbackEvent, textEvent } from "../../e2e/support/LineClient.js"

const NOW = 1_700_000_000_000
const at = (offsetSeconds: number) => NOW + offsetSeconds * 1000
const BUTTON = "oc1|a|apr_0123456789ab|c1.AAAAAAAAAAAAAAAA.1700000000.0123456789abcdef01234567"

describe("LINE event mapping (spec §4.3)", () => {
  it("a DM becomes a dm request from the user, keyed by webhookEventId for 720 s", () => {
    const plan = planEvent(textEvent("/help", { userId: "U1", webhookEventId: "EV1", replyToken: "rt1", timestamp: NOW }), NOW)
    expect(plan).toEqual({
      _tag: "Message",
      replyToken: "rt1",
      eventMillis: NOW,
      inbound: {
        eventKey: "line:EV1",
        replayTtlMillis: 720_000,
        request: {
          platform: "line",
          senderId: "U1",
          channelId: "U1",
          username: "line_user",
          messageId: "EV1",
          text: "/help",
          workspaceId: "",
          threadId: "",
          channelKind: "dm",
          mentioned: false
        }
      }
    })
  })

  it("groups and rooms use their own id as the channel; the sender stays the user", () => {
    const group = planEvent(textEvent("hi", { userId: "U1", groupId: "C9", timestamp: NOW }), NOW)
    const room = planEvent(textEvent("hi", { userId: "U1", roomId: "R7", timestamp: NOW }), NOW)
    expect(group._tag === "Message" && group.inbound.request).toMatchObject({ senderId: "U1", channelId: "C9", channelKind: "group", mentioned: false })
    expect(room._tag === "Message" && room.inbound.request).toMatchObject({ senderId: "U1", channelId: "R7", channelKind: "room" })
  })

  it("a self mention sets `mentioned` and a leading one is stripped; other users' mentions are not", () => {
    const self = planEvent(
      textEvent("@OpenClaw /status", { userId: "U1", groupId: "C9", timestamp: NOW, mentionees: [{ index: 0, length: 9, isSelf: true }] }),
      NOW
    )
    expect(self._tag === "Message" && self.inbound.request).toMatchObject({ text: "/status", mentioned: true })
    const other = planEvent(
      textEvent("@Bob hello", { userId: "U1", groupId: "C9", timestamp: NOW, mentionees: [{ index: 0, length: 4, userId: "U2" }] }),
      NOW
    )
    expect(other._tag === "Message" && other.inbound.request).toMatchObject({ text: "@Bob hello", mentioned: false })
  })

  it("without isSelf, a mention of the delivery's destination (the bot's user id) counts as a self mention", () => {
    const event = textEvent("@OpenClaw /help", { userId: "U1", groupId: "C9", timestamp: NOW, mentionees: [{ index: 0, length: 9, userId: "Ubot" }] })
    const plan = planEvent(event, NOW, "Ubot")
    expect(plan._tag === "Message" && plan.inbound.request).toMatchObject({ text: "/help", mentioned: true })
    const notSelf = planEvent({ ...event, message: { ...event.message, mention: { mentionees: [{ index: 0, length: 9, userId: "Ubot", isSelf: false }] } } }, NOW, "Ubot")
    expect(notSelf._tag === "Message" && notSelf.inbound.request).toMatchObject({ mentioned: false })
    const botUnknown = planEvent(event, NOW)
    expect(botUnknown._tag === "Message" && botUnknown.inbound.request.mentioned).toBe(false)
  })

  it("strips only a leading @-span that LINE locates; anything else is left alone", () => {
    expect(stripLeadingSelfMention("  @Bot  /help", [{ index: 2, length: 4, isSelf: true }])).toBe("/help")
    expect(stripLeadingSelfMention("hey @Bot /help", [{ index: 4, length: 4, isSelf: true }])).toBe("hey @Bot /help")
    expect(stripLeadingSelfMention("Bot /help", [{ index: 0, length: 3, isSelf: true }])).toBe("Bot /help")
    expect(stripLeadingSelfMention("@B", [{ index: 0, length: 9, isSelf: true }])).toBe("@B")
    expect(stripLeadingSelfMention("@Bot /x", [{ index: -1, length: 4, isSelf: true }])).toBe("@Bot /x")
  })

  it("a postback with our button data is a press; other postbacks and event types are ignored", () => {
    const press = planEvent(postbackEvent(BUTTON, { userId: "U1", webhookEventId: "EV2", timestamp: NOW }), NOW)
    expect(press).toMatchObject({ _tag: "Press", data: BUTTON, inbound: { eventKey: "line:EV2", request: { text: "" } } })
    expect(planEvent(postbackEvent("action=buy&item=1", { userId: "U1", timestamp: NOW }), NOW))
      .toEqual({ _tag: "Skip", reason: "foreign-postback", eventType: "postback" })
    expect(planEvent(followEvent({ userId: "U1", timestamp: NOW }), NOW)).toEqual({ _tag: "Skip", reason: "unsupported", eventType: "follow" })
    const image = { ...textEvent("x", { userId: "U1", timestamp: NOW }), message: { id: "1", type: "image" } }
    expect(planEvent(image, NOW)).toEqual({ _tag: "Skip", reason: "unsupported", eventType: "message" })
  })

  it("skips events without a user (never 'None'), standby events and malformed events", () => {
    expect(planEvent(textEvent("/help", { groupId: "C9", timestamp: NOW }), NOW)).toMatchObject({ reason: "no-user" })
    expect(planEvent({ ...textEvent("/help", { timestamp: NOW }), source: { type: "user" } }, NOW)).toMatchObject({ reason: "no-user" })
    expect(planEvent({ ...textEvent("/help", { userId: "U1", timestamp: NOW }), source: { type: "group", userId: "U1" } }, NOW))
      .toMatchObject({ reason: "no-user" })
    expect(planEvent(textEvent("/help", { userId: "U1", timestamp: NOW, mode: "standby" }), NOW)).toMatchObject({ reason: "standby" })
    for (const bad of [null, 42, "x", [], { type: "message" }, { ...textEvent("/x", { userId: "U1" }), timestamp: "now" }]) {
      expect(planEvent(bad, NOW)).toMatchObject({ _tag: "Skip", reason: "malformed" })
    }
  })

  it("freshness: older than 300 s is stale, more than 60 s ahead is future; the edges are fresh", () => {
    const plan = (offset: number) => planEvent(textEvent("/help", { userId: "U1", timestamp: at(offset) }), NOW)
    expect(plan(-301)).toMatchObject({ reason: "stale" })
    expect(plan(-600)).toMatchObject({ reason: "stale" })
    expect(plan(-300)._tag).toBe("Message")
    expect(plan(60)._tag).toBe("Message")
    expect(plan(61)).toMatchObject({ reason: "future" })
    expect(plan(120)).toMatchObject({ reason: "future" })
  })

  it("replay key: webhookEventId, else the reply token; an event with neither (or a console token) is skipped", () => {
    expect(replayKeyOf({ webhookEventId: "EV", replyToken: "rt" })).toBe("line:EV")
    expect(replayKeyOf({ webhookEventId: " ", replyToken: "rt" })).toBe("line:rt:rt")
    expect(replayKeyOf({ replyToken: "0".repeat(32) })).toBeUndefined()
    expect(replayKeyOf({ replyToken: "f".repeat(32) })).toBeUndefined()
    expect(replayKeyOf({ webhookEventId: "x".repeat(129) })).toBeUndefined()
    expect(replayKeyOf({})).toBeUndefined()
    const keyless = textEvent("/help", { userId: "U1", webhookEventId: null, replyToken: null, timestamp: NOW })
    expect(planEvent(keyless, NOW)).toMatchObject({ _tag: "Skip", reason: "no-key" })
  })

  it("the log-only allowlist matches users, or groups/rooms, case-insensitively", () => {
    const req = (senderId: string, channelId: string, channelKind: string) =>
      ({ platform: "line", senderId, channelId, username: "", messageId: "", text: "", workspaceId: "", threadId: "", channelKind })
    expect(untrustedNote([], [], req("U1", "U1", "dm"))).toBe("Allow lists are empty; all users will require approval")
    expect(untrustedNote(["u1"], [], req("U1", "U1", "dm"))).toBeUndefined()
    expect(untrustedNote([], ["c9"], req("U1", "C9", "group"))).toBeUndefined()
    expect(untrustedNote(["U2"], ["C9"], req("U1", "C8", "group"))).toBe("Not in allowlist; approval required")
  })
})

describe("LINE delivery decoding (bug L3)", () => {
  const decode = (body: string | Uint8Array) => decodeLineDelivery(typeof body === "string" ? Buffer.from(body) : body)
  const reason = (body: string | Uint8Array) => Either.match(decode(body), { onLeft: (e) => e.reason, onRight: () => "ok" })

  it("bad bytes, bad JSON, non-objects and non-array events are refused with a reason; missing events are none", () => {
    expect(reason(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).toBe("invalid-utf8")
    expect(reason("{nope")).toBe("bad-json")
    expect(reason("[]")).toBe("not-an-object")
    expect(reason("null")).toBe("not-an-object")
    expect(reason(`{"events":{}}`)).toBe("invalid-events")
    expect(reason("[".repeat(20_000) + "]".repeat(20_000))).toBe("not-an-object")
    expect(Either.getOrThrow(decode(`{"destination":"U"}`)).events).toEqual([])
    expect(Either.getOrThrow(decode(`{"events":[1,{"a":2}],"extra":true}`)).events).toEqual([1, { a: 2 }])
    expect(Either.match(decode("{nope"), { onLeft: malformedText, onRight: () => "" })).toBe("Bad JSON")
  })
})
