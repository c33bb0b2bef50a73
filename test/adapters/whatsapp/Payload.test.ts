import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { DEFAULT_USERNAME, planDelivery, planMessage, usernameOf } from "../../../src/adapters/whatsapp/Inbound.js"
import { decodeDelivery, MalformedDelivery, malformedText, type Notification, timestampMillis } from "../../../src/adapters/whatsapp/Payload.js"
import { replayTtlMillisFor } from "../../../src/domain/ingress/Freshness.js"
import { buttonReply, notification, textMessage } from "../../e2e/support/WhatsAppClient.js"

const NOW = 1_700_000_000_000
const at = (offsetSeconds: number) => String(NOW / 1000 + offsetSeconds)
const decode = (value: unknown) =>
  decodeDelivery(value instanceof Uint8Array ? value : Buffer.from(typeof value === "string" ? value : JSON.stringify(value)))
const notificationOf = (value: unknown): Notification => {
  const decoded = decode(value)
  if (Either.isLeft(decoded) || decoded.right._tag !== "Notification") throw new Error("expected a notification")
  return decoded.right.notification
}
const reasonOf = (value: unknown) => Either.match(decode(value), { onLeft: (e) => e.reason, onRight: (d) => d._tag })

describe("decodeDelivery", () => {
  it("bad bytes, bad JSON and non-objects are Bad JSON", () => {
    expect(reasonOf(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).toBe("invalid-utf8")
    expect(reasonOf("{not json")).toBe("bad-json")
    expect(reasonOf("[]")).toBe("not-an-object")
    expect(reasonOf("null")).toBe("not-an-object")
    expect(reasonOf("42")).toBe("not-an-object")
    for (const reason of ["invalid-utf8", "bad-json", "not-an-object"] as const) {
      expect(malformedText(new MalformedDelivery({ reason }))).toBe("Bad JSON")
    }
  })

  it("absurdly deep JSON is refused without a crash", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000)
    expect(["bad-json", "not-an-object"]).toContain(reasonOf(deep))
    const deepObject = `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"statuses":[${"[".repeat(50_000)}${"]".repeat(50_000)}]}}]}]}`
    expect(["bad-json", "Notification"]).toContain(reasonOf(deepObject))
  })

  it("another object is acknowledged unread; fields of the wrong type are Bad Request", () => {
    expect(reasonOf({ object: "page", entry: "whatever" })).toBe("OtherObject")
    expect(reasonOf({})).toBe("OtherObject")
    expect(reasonOf({ object: "whatsapp_business_account", entry: "x" })).toBe("invalid-field")
    expect(reasonOf(notification([{ ...textMessage({ from: "1", id: "m", text: "hi" }), from: 5 }]))).toBe("invalid-field")
    expect(reasonOf(notification([{ ...textMessage({ from: "1", id: "m", text: "hi" }), text: "flat" }]))).toBe("invalid-field")
    const err = Either.getLeft(decode({ object: "whatsapp_business_account", entry: "x" }))
    expect(err._tag === "Some" && malformedText(err.value)).toBe("Bad Request")
  })

  it("extra fields anywhere are tolerated", () => {
    const payload = notification([{ ...textMessage({ from: "1", id: "m", text: "hi" }), extra: { a: [1] } }])
    expect(reasonOf({ ...payload, more: true })).toBe("Notification")
  })

  it("any message with a missing or non-numeric timestamp refuses the whole delivery", () => {
    const good = textMessage({ from: "1", id: "m1", text: "hi", timestamp: at(0) })
    for (const timestamp of [undefined, "", "abc", "12.5", "-5", " 17", null, 1.5, true]) {
      const bad = { ...textMessage({ from: "1", id: "m2", text: "hi" }), timestamp }
      if (timestamp === undefined) delete (bad as Record<string, unknown>)["timestamp"]
      expect(reasonOf(notification([good, bad]))).toBe("bad-timestamp")
    }
    expect(reasonOf(notification([good]))).toBe("Notification")
    expect(reasonOf(notification([], { statuses: [{ id: "s", timestamp: "nope" }] }))).toBe("Notification")
  })

  it("timestamps are seconds as digits (or an integer)", () => {
    expect(timestampMillis("1700000000")).toBe(1_700_000_000_000)
    expect(timestampMillis(1700000000)).toBe(1_700_000_000_000)
    expect(timestampMillis("1e9")).toBeUndefined()
    expect(timestampMillis(-1)).toBeUndefined()
  })
})

describe("planning messages", () => {
  it("a text message becomes a DM command keyed whatsapp:<id> with the contact's name", () => {
    const [planned] = planDelivery(
      notificationOf(notification([textMessage({ from: "123456789", id: "wamid.A", text: "/help", timestamp: at(0) })], { names: { "123456789": "Ann" } })),
      NOW
    )
    expect(planned).toEqual({
      _tag: "Command",
      event: {
        eventKey: "whatsapp:wamid.A",
        replayTtlMillis: replayTtlMillisFor(),
        request: {
          platform: "whatsapp",
          senderId: "123456789",
          channelId: "123456789",
          username: "Ann",
          messageId: "wamid.A",
          text: "/help",
          workspaceId: "",
          threadId: "",
          channelKind: "dm"
        }
      }
    })
  })

  it("the username defaults to whatsapp_user", () => {
    expect(usernameOf({ contacts: [{ wa_id: "other", profile: { name: "X" } }] }, "1")).toBe(DEFAULT_USERNAME)
    expect(usernameOf({}, "1")).toBe("whatsapp_user")
  })

  it("reply-button presses with our data are presses; other buttons and types are ignored", () => {
    const messages = [
      buttonReply({ from: "1", id: "b1", buttonId: "oc1|a|apr_1|c1.x", timestamp: at(0) }),
      buttonReply({ from: "1", id: "b2", buttonId: "my-own-button", timestamp: at(0) }),
      { from: "1", id: "i1", timestamp: at(0), type: "image", image: { id: "media" } },
      { from: "1", id: "i2", timestamp: at(0), type: "interactive", interactive: { type: "list_reply", list_reply: { id: "x" } } }
    ]
    const plans = planDelivery(notificationOf(notification(messages)), NOW)
    expect(plans.map((p) => p._tag === "Skip" ? p.reason : p._tag)).toEqual(["Press", "foreign-button", "unsupported-type", "unsupported-type"])
    expect(plans[0]!._tag === "Press" && plans[0]!.data).toBe("oc1|a|apr_1|c1.x")
  })

  it("messages with an empty id or no sender are skipped, never sharing a key (W4)", () => {
    const messages = [
      textMessage({ from: "1", id: "", text: "/run a", timestamp: at(0) }),
      textMessage({ from: "2", id: " ", text: "/run b", timestamp: at(0) }),
      { ...textMessage({ from: "1", id: "x", text: "hi", timestamp: at(0) }), id: undefined },
      textMessage({ from: "", id: "m4", text: "hi", timestamp: at(0) })
    ]
    const plans = planDelivery(notificationOf(notification(messages)), NOW)
    expect(plans.map((p) => p._tag === "Skip" && p.reason)).toEqual(["empty-id", "empty-id", "empty-id", "no-sender"])
  })

  it("freshness is per message: 300 s back and 60 s ahead are the edges", () => {
    const plan = (offset: number) =>
      planMessage(textMessage({ from: "1", id: "m", text: "hi", timestamp: at(offset) }), {}, NOW)
    expect(plan(-300)._tag).toBe("Command")
    expect(plan(60)._tag).toBe("Command")
    expect(plan(-301)).toMatchObject({ _tag: "Skip", reason: "stale" })
    expect(plan(-400)).toMatchObject({ _tag: "Skip", reason: "stale" })
    expect(plan(61)).toMatchObject({ _tag: "Skip", reason: "future" })
  })
})
