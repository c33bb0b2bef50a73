import { describe, expect, it } from "@effect/vitest"
import { decideReplyVisibility, flagTruthy, normaliseMode } from "../../../src/domain/visibility/ReplyVisibility.js"

const decide = (deliveryContext: Record<string, unknown>, over: Parameters<typeof decideReplyVisibility>[0] = {}) =>
  decideReplyVisibility({ deliveryContext, text: "hi", ...over })

const outcome = (d: ReturnType<typeof decideReplyVisibility>) => [d.visible, d.mode, d.reason]

describe("normaliseMode", () => {
  it.each([
    ["", "visible"], ["auto", "visible"], ["Public", "visible"], ["reply", "visible"], ["send", "visible"],
    ["true", "visible"], ["false", "visible"], ["bogus", "visible"], [null, "visible"], [true, "visible"],
    ["suppress_text", "suppress_text"], [" SUPPRESS ", "suppress_text"], ["silent", "suppress_text"],
    ["no_text", "suppress_text"], ["none", "suppress_text"],
    ["tool_only", "tool_only"], ["tool-only", "tool_only"], ["tool", "tool_only"], ["action_only", "tool_only"],
    ["action-only", "tool_only"],
    ["internal", "internal"], ["internal_only", "internal"], ["internal-only", "internal"], ["private", "internal"]
  ])("%j -> %s", (value, mode) => expect(normaliseMode(value)).toBe(mode))
})

describe("flagTruthy", () => {
  it.each([
    [true, true], [false, false], ["1", true], [" Yes ", true], ["y", true], ["on", true], ["TRUE", true],
    [1, true], ["0", false], ["no", false], [null, false], [undefined, false], ["", false]
  ])("%j -> %s", (value, expected) => expect(flagTruthy(value)).toBe(expected))
})

describe("decideReplyVisibility (domain-core §13 and §21)", () => {
  it("a direct message is visible", () => {
    expect(outcome(decide({ chat_type: "p2p" }))).toEqual([true, "visible", "visible"])
    expect(outcome(decide({}))).toEqual([true, "visible", "visible"])
  })

  it("group with mention visible; without mention suppressed unless threaded", () => {
    expect(outcome(decide({ chat_type: "group", mentioned_bot: true }))).toEqual([true, "visible", "visible"])
    expect(outcome(decide({ chat_type: "group", mentioned_bot: false }))).toEqual([false, "suppress_text", "group_no_mention"])
    expect(outcome(decide({ chat_type: "group", mentioned_bot: false, thread_id: "t1" }))).toEqual([true, "visible", "visible"])
    expect(outcome(decide({ chat_type: "group", mentioned_bot: false, thread_id: "  " }))[2]).toBe("group_no_mention")
    expect(outcome(decide({ chat_type: "group" }, { mentioned: false, inThread: true }))[0]).toBe(true)
  })

  it("an unknown mention is visible; the argument wins over the context; `mentioned` before `mentioned_bot`", () => {
    expect(decide({ channel_kind: "supergroup" }).visible).toBe(true)
    expect(decide({ chat_type: "group", mentioned_bot: false }, { mentioned: true }).visible).toBe(true)
    expect(decide({ chat_type: "group", mentioned: "yes", mentioned_bot: false }).visible).toBe(true)
    expect(decide({ chat_type: "channel", mentioned: "no", mentioned_bot: true }).visible).toBe(false)
  })

  it("channel kind: context channel_kind, then chat_type, then the argument; trimmed, lower-cased", () => {
    expect(decide({ chat_type: "p2p" }, { channelKind: "group", mentioned: false }).visible).toBe(true)
    expect(decide({ channel_kind: " GROUP " }, { mentioned: false }).visible).toBe(false)
    expect(decide({}, { channelKind: "group", mentioned: false }).visible).toBe(false)
    expect(decide({ channel_kind: "", chat_type: "dm" }, { channelKind: "group", mentioned: false }).visible).toBe(true)
  })

  it("internal delivery is suppressed", () => {
    expect(outcome(decide({ internal_delivery: true }))).toEqual([false, "internal", "internal_delivery"])
    expect(outcome(decide({ reply_visibility: "private" }))).toEqual([false, "internal", "internal_delivery"])
  })

  it("tool-only and silent suppress text but keep files", () => {
    expect(outcome(decide({ reply_visibility: "tool_only" }))).toEqual([false, "tool_only", "text_reply_suppressed"])
    expect(outcome(decide({ visibility: "silent" }))).toEqual([false, "suppress_text", "text_reply_suppressed"])
    expect(outcome(decide({ tool_only: "1" }))).toEqual([false, "visible", "text_reply_suppressed"])
    expect(outcome(decide({ silent: true }))).toEqual([false, "visible", "text_reply_suppressed"])
    expect(outcome(decide({ reply_visibility: "tool_only" }, { hasFiles: true }))).toEqual([true, "visible", "file_delivery_preserved"])
  })

  it("buttons are never hidden", () => {
    expect(outcome(decide({ reply_visibility: "tool_only" }, { hasButtons: true }))).toEqual([true, "visible", "interactive_action_required"])
    expect(outcome(decide({ internal_delivery: true }, { hasButtons: true }))[0]).toBe(true)
  })

  it("mode key presence wins even when null; then delivery_policy; first key in order", () => {
    expect(decide({ reply_visibility: null, visibility: "internal" }).visible).toBe(true)
    expect(decide({ delivery_policy: { reply_visibility_mode: "internal" } }).visible).toBe(false)
    expect(decide({ visibility: "auto", delivery_policy: { reply_visibility: "internal" } }).visible).toBe(true)
    expect(decide({ delivery_policy: "internal" }).visible).toBe(true)
  })

  it("suppressed is the negation of visible, and diagnostics describe the input", () => {
    const d = decideReplyVisibility({
      deliveryContext: { platform: " slack ", reply_visibility: "tool", thread_id: "t" },
      text: "  ",
      hasFiles: false
    })
    expect(d.suppressed).toBe(!d.visible)
    expect(d.diagnostics).toEqual({
      platform: "slack", mode: "tool_only", channelKind: "", inThread: true, hasText: false, hasButtons: false, hasFiles: false
    })
    expect(decideReplyVisibility({ platform: "feishu", deliveryContext: { platform: "x" } }).diagnostics.platform).toBe("feishu")
  })
})
