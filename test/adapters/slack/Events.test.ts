import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { filterEvent, type GateOptions, planMessage, type SlackMessage, workspaceOf } from "../../../src/adapters/slack/Events.js"

/** Pure event reading: filters, the mention gate (bugs 1-3) and the CommandRequest. */
const TEAM = "T0AAAAAAA"
const BOT = "UBOTAAAAA"
const ON: GateOptions = { requireMention: true, replyInThread: true }

const message = (over: Record<string, unknown> = {}) =>
  ({ type: "message", user: "U0USER001", text: "hello", ts: "1700000000.000100", channel: "C0CHAN001", channel_type: "channel", ...over })

const filtered = (event: unknown): SlackMessage => {
  const f = filterEvent(TEAM, event)
  if (f._tag !== "Message") throw new Error(`skipped: ${f.reason}`)
  return f.message
}

describe("Slack events: filters", () => {
  it("bots, our own posts, edits and deletions are skipped; file shares and thread broadcasts are messages", () => {
    expect(filterEvent(TEAM, message({ bot_id: "B1" }))).toEqual({ _tag: "Skip", reason: "bot" })
    expect(filterEvent(TEAM, message({ subtype: "bot_message" }))).toEqual({ _tag: "Skip", reason: "bot" })
    expect(filterEvent(TEAM, message({ bot_profile: { id: "B1" } }))).toEqual({ _tag: "Skip", reason: "bot" })
    for (const subtype of ["message_changed", "message_deleted", "channel_join"]) {
      expect(filterEvent(TEAM, message({ subtype }))).toEqual({ _tag: "Skip", reason: "subtype" })
    }
    expect(filterEvent(TEAM, message({ subtype: "file_share" }))._tag).toBe("Message")
    expect(filterEvent(TEAM, message({ subtype: "thread_broadcast" }))._tag).toBe("Message")
    expect(filterEvent(TEAM, { type: "reaction_added", user: "U1" })).toEqual({ _tag: "Skip", reason: "unsupported" })
    expect(filterEvent(TEAM, message({ text: "   " }))).toEqual({ _tag: "Skip", reason: "empty" })
    expect(filterEvent(TEAM, message({ user: undefined }))).toEqual({ _tag: "Skip", reason: "malformed" })
    expect(filterEvent(TEAM, message({ channel: "C1:evil" }))).toEqual({ _tag: "Skip", reason: "malformed" })
    expect(filterEvent("", message())).toEqual({ _tag: "Skip", reason: "malformed" })
    expect(filterEvent(TEAM, "not an object")).toEqual({ _tag: "Skip", reason: "malformed" })
  })

  it("the workspace id: team_id, team.id, authorizations[0].team_id, then event.team", () => {
    expect(workspaceOf({ team_id: "T1", team: { id: "T2" } }, { team: "T4" })).toBe("T1")
    expect(workspaceOf({ team: { id: "T2" }, authorizations: [{ team_id: "T3" }] }, { team: "T4" })).toBe("T2")
    expect(workspaceOf({ authorizations: [{ team_id: "T3" }] }, { team: "T4" })).toBe("T3")
    expect(workspaceOf({}, { team: "T4" })).toBe("T4")
    expect(workspaceOf({ team_id: 5 }, {})).toBe("")
  })

  it("channel kinds from channel_type, else from the id's prefix (app_mention has no channel_type)", () => {
    expect(filtered(message({ channel_type: "im", channel: "D0DM00001" })).channelKind).toBe("dm")
    expect(filtered(message({ channel_type: "mpim", channel: "G0MPIM001" })).channelKind).toBe("group")
    expect(filtered(message({ channel_type: "group", channel: "G0PRIV001" })).channelKind).toBe("group")
    expect(filtered({ ...message({ type: "app_mention" }), channel_type: undefined }).channelKind).toBe("channel")
    expect(filtered({ ...message({ channel: "D0DM00001" }), channel_type: undefined }).channelKind).toBe("dm")
    expect(filtered({ ...message({ channel: "X0WHAT001" }), channel_type: undefined }).channelKind).toBe("channel")
  })
})

describe("Slack events: the mention gate and the request", () => {
  it("a channel message that mentions the bot runs with the mention removed, in the message's thread", () => {
    const plan = planMessage(filtered(message({ text: `<@${BOT}> /status` })), BOT, ON)
    expect(plan).toEqual({
      _tag: "Run",
      messageKey: `slack:msg:${TEAM}:C0CHAN001:1700000000.000100`,
      request: {
        platform: "slack",
        senderId: "U0USER001",
        channelId: "C0CHAN001",
        username: "U0USER001",
        messageId: "1700000000.000100",
        text: "/status",
        workspaceId: TEAM,
        threadId: "1700000000.000100",
        channelKind: "channel",
        mentioned: true
      }
    })
  })

  it("message and app_mention twins give the same key and request text", () => {
    const a = planMessage(filtered(message({ text: `<@${BOT}|openclaw> /run x` })), BOT, ON)
    const b = planMessage(filtered(message({ type: "app_mention", text: `<@${BOT}|openclaw> /run x` })), BOT, ON)
    expect(a._tag === "Run" && b._tag === "Run" && a.messageKey === b.messageKey && a.request.text === b.request.text).toBe(true)
  })

  it("a thread reply keeps its thread; reply-in-thread off answers in the channel", () => {
    const inThread = planMessage(filtered(message({ text: `<@${BOT}> /status`, thread_ts: "1699999999.000001" })), BOT, ON)
    expect(inThread._tag === "Run" && inThread.request.threadId).toBe("1699999999.000001")
    const flat = planMessage(filtered(message({ text: `<@${BOT}> /status` })), BOT, { ...ON, replyInThread: false })
    expect(flat._tag === "Run" && flat.request.threadId).toBe("")
  })

  it("without a mention a channel message is not addressed; with require-mention off only slash commands are", () => {
    expect(planMessage(filtered(message({ text: "/status" })), BOT, ON)).toEqual({ _tag: "Skip", reason: "not-addressed" })
    expect(planMessage(filtered(message({ text: `<@UOTHER001> /status` })), BOT, ON)).toEqual({ _tag: "Skip", reason: "not-addressed" })
    const off = { ...ON, requireMention: false }
    expect(planMessage(filtered(message({ text: "/status" })), BOT, off)._tag).toBe("Run")
    expect(planMessage(filtered(message({ text: "lunch?" })), BOT, off)).toEqual({ _tag: "Skip", reason: "not-addressed" })
  })

  it("DMs need neither a mention nor a known bot id; shared conversations need the bot id", () => {
    const dm = filtered(message({ channel: "D0DM00001", channel_type: "im", text: "/status" }))
    expect(planMessage(dm, undefined, ON)._tag).toBe("Run")
    expect(planMessage(filtered(message({ text: `<@${BOT}> /status` })), undefined, ON)).toEqual({ _tag: "Skip", reason: "bot-id-unknown" })
    expect(planMessage(filtered(message({ type: "app_mention", text: `<@${BOT}> /status` })), undefined, ON))
      .toEqual({ _tag: "Skip", reason: "bot-id-unknown" })
  })

  it("the bot's own user, and a message that is only the mention, are skipped", () => {
    expect(planMessage(filtered(message({ user: BOT, text: "/status" , channel_type: "im", channel: "D0DM00001"})), BOT, ON))
      .toEqual({ _tag: "Skip", reason: "self" })
    expect(planMessage(filtered(message({ text: `<@${BOT}>` })), BOT, ON)).toEqual({ _tag: "Skip", reason: "empty" })
  })
})

describe("Slack events: gate properties", () => {
  const id = fc.stringMatching(/^U[A-Z0-9]{4,10}$/)
  const words = fc.array(fc.oneof(fc.constantFrom("/status", "/run", "hello", "<@UOTHER001>", "<!here>", "<#C123|x>", "@openclaw"), fc.string({ maxLength: 12 })), { maxLength: 6 })
    .map((w) => w.join(" "))
  const kind = fc.constantFrom("channel", "group", "mpim")
  const options = fc.record({ requireMention: fc.constant(true), replyInThread: fc.boolean() })

  it.prop("with require-mention on, a shared-channel message without the bot's mention never reaches the core", [id, words, kind, options], ([bot, text, channelType, opts]) => {
    fc.pre(!text.includes(`<@${bot}`) && text.trim() !== "")
    const f = filterEvent(TEAM, message({ text, channel_type: channelType, channel: channelType === "channel" ? "C0CHAN001" : "G0GRP0001" }))
    if (f._tag === "Message") expect(planMessage(f.message, bot, opts)._tag).toBe("Skip")
  })

  it.prop("an unknown bot user id never fails open in a shared conversation", [words, kind, fc.boolean(), fc.boolean()], ([text, channelType, mention, requireMention]) => {
    const f = filterEvent(TEAM, message({ type: mention ? "app_mention" : "message", text: `${text} x`, channel_type: channelType }))
    if (f._tag === "Message") expect(planMessage(f.message, undefined, { requireMention, replyInThread: true })._tag).toBe("Skip")
  })

  it.prop("a message that mentions the bot always runs, with no mention of the bot left in its text", [id, words, kind], ([bot, text, channelType]) => {
    const f = filterEvent(TEAM, message({ text: `<@${bot}> ${text} /status`, channel_type: channelType }))
    expect(f._tag).toBe("Message")
    if (f._tag !== "Message") return
    const plan = planMessage(f.message, bot, ON)
    expect(plan._tag).toBe("Run")
    if (plan._tag === "Run") expect(plan.request.text.includes(`<@${bot}`)).toBe(false)
  })
})
