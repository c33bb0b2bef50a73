import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { addressText, type BotIdentity, chatTargetOf, planUpdate, topicThreadOf } from "../../../src/adapters/telegram/Inbound.js"
import { decodeUpdate, type TelegramEntity, type TelegramUpdate } from "../../../src/adapters/telegram/Update.js"
import { editedUpdate, entitiesOf, messageUpdate, pressUpdate, supergroup, user } from "../../e2e/support/TelegramUpdates.js"

const entities = (text: string) => entitiesOf(text) as unknown as ReadonlyArray<TelegramEntity>
const BOT: BotIdentity = { id: 777, username: "MyBot" }
const decoded = (raw: Record<string, unknown>): TelegramUpdate => decodeUpdate({ update_id: 1, ...raw })!
const plan = (raw: Record<string, unknown>) => planUpdate(decoded(raw), BOT)
const GROUP = supergroup(-100123)
const textOf = (raw: Record<string, unknown>) => {
  const p = plan(raw)
  return p._tag === "Message" ? p.request.text : p._tag
}

describe("Telegram update mapping", () => {
  it("maps a private message to a dm request with decimal string ids", () => {
    const p = plan(messageUpdate(42, "/status", { from: user(42, "alice") }))
    expect(p._tag).toBe("Message")
    if (p._tag !== "Message") return
    expect(p.request).toMatchObject({
      platform: "telegram",
      senderId: "42",
      channelId: "42",
      username: "alice",
      text: "/status",
      workspaceId: "",
      threadId: "",
      channelKind: "dm",
      mentioned: false
    })
    expect(p.request.messageId).toMatch(/^\d+$/)
    expect(p.target).toEqual({ chatId: 42, threadId: undefined })
  })

  it("maps the spec's topic test vector: thread 456 only because it is a topic message", () => {
    const vector = {
      update_id: 1,
      message: {
        message_id: 77,
        message_thread_id: 456,
        is_topic_message: true,
        chat: { id: -100123, type: "supergroup" },
        from: { id: 42, username: "alice" },
        text: "/status"
      }
    }
    const p = planUpdate(decodeUpdate(vector)!, BOT)
    expect(p._tag === "Message" && [p.request.threadId, p.request.channelKind, p.request.messageId, p.target.threadId]).toEqual([
      "456",
      "supergroup",
      "77",
      456
    ])
  })

  it("ignores message_thread_id of reply threads outside forum topics (T3)", () => {
    const p = plan(messageUpdate(42, "/status", { chat: GROUP, threadId: 456 }))
    expect(p._tag === "Message" && [p.request.threadId, p.target.threadId]).toEqual(["", undefined])
    expect(topicThreadOf({ message_thread_id: 0, is_topic_message: true })).toBeUndefined()
    expect(topicThreadOf({ message_thread_id: 12345678901, is_topic_message: true })).toBeUndefined()
  })

  it("never runs edits (T4) and skips non-text messages", () => {
    expect(plan(editedUpdate(42, "/run portrait a cat"))).toEqual({ _tag: "Skip", reason: "edited" })
    expect(plan({ message: { message_id: 1, chat: { id: 1, type: "private" }, from: { id: 1 }, photo: [] } })).toEqual({
      _tag: "Skip",
      reason: "no-text"
    })
    expect(plan({ my_chat_member: {} })).toEqual({ _tag: "Skip", reason: "unsupported" })
  })

  it("answers no group chatter but handles slash commands, mentions and replies to the bot", () => {
    expect(plan(messageUpdate(42, "lunch anyone?", { chat: GROUP }))).toEqual({ _tag: "Skip", reason: "chatter" })
    expect(textOf(messageUpdate(42, "/help", { chat: GROUP }))).toBe("/help")
    const mentioned = plan(messageUpdate(42, "@MyBot /status", { chat: GROUP }))
    expect(mentioned._tag === "Message" && [mentioned.request.text, mentioned.request.mentioned]).toEqual(["/status", true])
    const reply = plan(messageUpdate(42, "what about now", { chat: GROUP, extra: { reply_to_message: { message_id: 5, from: user(777, "MyBot") } } }))
    expect(reply._tag === "Message" && reply.request.mentioned).toBe(true)
  })

  it("strips its own /cmd@bot suffix (any case) and ignores commands for another bot", () => {
    expect(textOf(messageUpdate(42, "/status@MyBot", { chat: GROUP }))).toBe("/status")
    expect(textOf(messageUpdate(42, "/run@mybot portrait a cat", { chat: GROUP }))).toBe("/run portrait a cat")
    expect(textOf(messageUpdate(42, "@MyBot /help@MyBot", { chat: GROUP }))).toBe("/help")
    expect(plan(messageUpdate(42, "/status@OtherBot", { chat: GROUP }))).toEqual({ _tag: "Skip", reason: "other-bot" })
    expect(plan(messageUpdate(42, "/status@OtherBot"))).toEqual({ _tag: "Skip", reason: "other-bot" })
  })

  it("uses the sending chat as sender for anonymous admins and channel posts, and skips other bots", () => {
    const anonymous = plan(messageUpdate(1087968824, "/status", {
      chat: GROUP,
      from: { id: 1087968824, is_bot: true, username: "GroupAnonymousBot" },
      extra: { sender_chat: { id: -100123, type: "supergroup", username: "grp" } }
    }))
    expect(anonymous._tag === "Message" && anonymous.request.senderId).toBe("-100123")
    expect(plan(messageUpdate(5, "/status", { from: { id: 5, is_bot: true, username: "SomeBot" } }))).toEqual({
      _tag: "Skip",
      reason: "from-bot"
    })
    const post = plan({ channel_post: { message_id: 3, chat: { id: -100999, type: "channel" }, sender_chat: { id: -100999, type: "channel" }, text: "/status" } })
    expect(post._tag === "Message" && [post.request.channelKind, post.request.senderId]).toEqual(["channel", "-100999"])
  })

  it("skips a message that names no sender (neither from nor sender_chat): the chat is never the sender", () => {
    const ADMIN_CHAT = { id: 42, type: "private", username: "alice" }
    expect(plan({ message: { message_id: 1, chat: ADMIN_CHAT, text: "/approve apr_1" } })).toEqual({ _tag: "Skip", reason: "no-sender" })
    expect(plan({ channel_post: { message_id: 2, chat: { id: -100999, type: "channel" }, text: "/status" } }))
      .toEqual({ _tag: "Skip", reason: "no-sender" })
  })

  it("maps presses of stored buttons to who pressed where; other callbacks are foreign", () => {
    const data = "c1.AAAAAAAAAAAAAAAA.1700000000.0123456789abcdef0123456789abcdef"
    const p = plan(pressUpdate(9, data, { chat: GROUP, messageId: 55, threadId: 7 }))
    expect(p._tag === "Press" && [p.request.senderId, p.request.channelId, p.request.threadId, p.data, p.target]).toEqual([
      "9",
      "-100123",
      "7",
      data,
      { chatId: -100123, threadId: 7 }
    ])
    expect(plan(pressUpdate(9, "hello", { chat: GROUP }))._tag).toBe("ForeignPress")
    const inline = { callback_query: { id: "q", from: { id: 9 }, inline_message_id: "x", data } }
    expect(plan(inline)._tag).toBe("ForeignPress")
  })

  it("refuses to decode updates whose known fields have the wrong types", () => {
    expect(decodeUpdate({ update_id: 1, message: { message_id: "x", chat: { id: 1, type: "private" } } })).toBeUndefined()
    expect(decodeUpdate({ update_id: "1" })).toBeUndefined()
    expect(decodeUpdate({ update_id: 1, message: { message_id: 1, chat: { id: 1.5, type: "private" } } })).toBeUndefined()
  })
})

describe("chatTargetOf (later deliveries)", () => {
  it("keeps valid forum topics (spec thread-id vectors) and drops invalid ones", () => {
    for (const t of ["456", " 456 "]) expect(chatTargetOf({ channelId: "-100123", threadId: t })).toEqual({ chatId: -100123, threadId: 456 })
    for (const t of ["", "0", "-5", "12345678901", "abc", "abc123", "1.5"]) {
      expect(chatTargetOf({ channelId: "-100123", threadId: t })).toEqual({ chatId: -100123, threadId: undefined })
    }
    expect(chatTargetOf({ channelId: "U123", threadId: "" })).toBeUndefined()
    expect(chatTargetOf({ channelId: "99999999999999999", threadId: "" })).toBeUndefined()
  })
})

describe("addressText (property)", () => {
  const word = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/)
  const otherBot = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{2,12}$/).filter((b) => b.toLowerCase() !== "mybot")

  it("a command suffixed with another bot's name is never for us; ours is always stripped", () => {
    fc.assert(fc.property(word, otherBot, fc.array(word, { maxLength: 3 }), (cmd, other, args) => {
      const tail = args.length > 0 ? ` ${args.join(" ")}` : ""
      const foreign = `/${cmd}@${other}${tail}`
      expect(addressText(foreign, entities(foreign), BOT)._tag).toBe("OtherBot")
      const ours = `/${cmd}@MyBot${tail}`
      expect(addressText(ours, entities(ours), BOT)).toEqual({ _tag: "ForUs", text: `/${cmd}${tail}`, mentioned: false })
      const mentioned = `@mybot /${cmd}${tail}`
      expect(addressText(mentioned, entities(mentioned), BOT)).toEqual({ _tag: "ForUs", text: `/${cmd}${tail}`, mentioned: true })
    }))
  })
})
