import { describe, expect, it } from "@effect/vitest"
import { normalise, untrustedNote } from "../../../src/adapters/wechat/Normalize.js"

const event = (e: string, key?: string, extra: Record<string, string> = {}): Record<string, string> => ({
  MsgType: "event",
  Event: e,
  FromUserName: "u1",
  ToUserName: "gh_1",
  CreateTime: "1700000000",
  ...(key === undefined ? {} : { EventKey: key }),
  ...extra
})

const routed = (fields: Record<string, string>) => {
  const n = normalise(fields)
  if (n._tag !== "Route") throw new Error(`expected a routed message, got ${JSON.stringify(n)}`)
  return n
}

// spec platforms-webhook-polling.md §6.5 and §11.3, with X6 fixed
describe("WeChat normalisation", () => {
  it("a text message becomes a DM command request keyed by MsgId", () => {
    const n = routed({ MsgType: "text", FromUserName: "oU1", ToUserName: "gh_1", CreateTime: "1700000000", Content: "  /status ", MsgId: "12345" })
    expect(n.request).toEqual({
      platform: "wechat",
      senderId: "oU1",
      channelId: "oU1",
      username: "oU1",
      messageId: "12345",
      text: "/status",
      workspaceId: "",
      threadId: "",
      channelKind: "dm"
    })
    expect(n.eventKey).toBe("wechat:msg:12345")
    expect(n.toUser).toBe("gh_1")
  })

  it("a text without MsgId is still deduplicated, by sender, time and a hash of the content", () => {
    const a = routed({ MsgType: "text", FromUserName: "u1", CreateTime: "1700000000", Content: "/help" })
    const b = routed({ MsgType: "text", FromUserName: "u1", CreateTime: "1700000000", Content: "/status" })
    expect(a.eventKey).toMatch(/^wechat:evt:u1:1700000000:text:[0-9a-f]{64}$/)
    expect(a.eventKey).not.toBe(b.eventKey)
    expect(routed({ MsgType: "text", FromUserName: "u1", CreateTime: "1700000000", Content: "/help" }).eventKey).toBe(a.eventKey)
  })

  it("CLICK routes the EventKey with an event dedupe key", () => {
    const n = routed(event("CLICK", "/cmd"))
    expect(n.request.text).toBe("/cmd")
    expect(n.request.messageId).toBe("")
    expect(n.eventKey).toBe("wechat:evt:u1:1700000000:click:/cmd")
  })

  it("subscribe maps to /help with or without a QR scene (X6: never the unknown /qr)", () => {
    expect(routed(event("subscribe")).request.text).toBe("/help")
    const viaQr = routed(event("subscribe", "qrscene_abc"))
    expect(viaQr.request.text).toBe("/help")
    expect(viaQr.eventKey).toBe("wechat:evt:u1:1700000000:subscribe:qrscene_abc")
  })

  it("SCAN is acknowledged without routing; unsubscribe and VIEW are log-only", () => {
    expect(normalise(event("SCAN", "scene_123"))._tag).toBe("Ignore")
    expect(normalise(event("unsubscribe"))).toEqual({ _tag: "LogOnly", event: "unsubscribe", sender: "u1", detail: "" })
    expect(normalise(event("VIEW", "https://example.com"))).toEqual({ _tag: "LogOnly", event: "view", sender: "u1", detail: "https://example.com" })
  })

  it("other types, other events, no sender, empty text and a CLICK without key are acknowledged only", () => {
    const cases: ReadonlyArray<Record<string, string>> = [
      { MsgType: "image", FromUserName: "u1", PicUrl: "x" },
      event("LOCATION"),
      event("TEMPLATESENDJOBFINISH"),
      { MsgType: "text", Content: "/help" },
      { MsgType: "text", FromUserName: "u1", Content: "   " },
      event("CLICK", " "),
      {}
    ]
    for (const fields of cases) {
      expect(normalise(fields)._tag, JSON.stringify(fields)).toBe("Ignore")
    }
  })

  it("over-long key parts are hashed so the key stays short", () => {
    const n = routed({ MsgType: "text", FromUserName: "u1", Content: "/help", MsgId: "9".repeat(5000) })
    expect(n.eventKey).toMatch(/^wechat:msg:sha256-[0-9a-f]{64}$/)
  })

  it("the allowlist note is only informational", () => {
    expect(untrustedNote([], "u1")).toMatch(/empty/)
    expect(untrustedNote([" U1 "], "u1")).toBeUndefined()
    expect(untrustedNote(["wechat:u1"], "u1")).toBeUndefined()
    expect(untrustedNote(["u2"], "u1")).toMatch(/Not in allowlist/)
  })
})
