import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import {
  eventKeyOf,
  mentionsBot,
  planMessage,
  pressRequestOf,
  REPLAY_TTL_MILLIS,
  stripLeadingMentions,
  untrustedNote
} from "../../../src/adapters/discord/Inbound.js"
import { handleMessage } from "../../../src/adapters/discord/MessageHandler.js"
import { aMessage, aPress, BOT_ID, CHANNEL, DM_CHANNEL, GUILD, harness, messageContext, recordingSinks, THREAD, USER } from "./support.js"

describe("mentions", () => {
  it("finds <@id> and <@!id> of the bot anywhere, and nobody else's", () => {
    expect(mentionsBot(`<@${BOT_ID}> /status`, BOT_ID)).toBe(true)
    expect(mentionsBot(`hey <@!${BOT_ID}>`, BOT_ID)).toBe(true)
    expect(mentionsBot("<@100000000000000009> /status", BOT_ID)).toBe(false)
    expect(mentionsBot(`<@&${BOT_ID}> role mention`, BOT_ID)).toBe(false)
    expect(mentionsBot(`@${BOT_ID} plain text`, BOT_ID)).toBe(false)
    expect(mentionsBot("<@> x", "")).toBe(false)
  })

  it("strips the bot mentions the text starts with, only those", () => {
    expect(stripLeadingMentions(`<@${BOT_ID}> /status`, BOT_ID)).toBe("/status")
    expect(stripLeadingMentions(`  <@!${BOT_ID}>   <@${BOT_ID}> /run portrait a cat`, BOT_ID)).toBe("/run portrait a cat")
    expect(stripLeadingMentions(`/status <@${BOT_ID}>`, BOT_ID)).toBe(`/status <@${BOT_ID}>`)
    expect(stripLeadingMentions(`<@100000000000000009> /status`, BOT_ID)).toBe("<@100000000000000009> /status")
    expect(stripLeadingMentions(`<@${BOT_ID}>`, BOT_ID)).toBe("")
  })
})

describe("planMessage", () => {
  it("a DM is handled as it is: kind dm, replay key discord:<id>, reply to the DM channel", () => {
    const plan = planMessage(aMessage({ id: "777", content: "/status" }), BOT_ID)
    expect(plan).toEqual({
      _tag: "Command",
      replyChannelId: DM_CHANNEL,
      inbound: {
        eventKey: "discord:777",
        replayTtlMillis: REPLAY_TTL_MILLIS,
        request: {
          platform: "discord",
          senderId: USER,
          channelId: DM_CHANNEL,
          username: "alice",
          messageId: "777",
          text: "/status",
          workspaceId: "",
          threadId: "",
          channelKind: "dm",
          mentioned: false
        }
      }
    })
    expect(eventKeyOf("1")).toBe("discord:1")
  })

  it("DMs are handled without a mention or a slash (the core answers)", () => {
    const plan = planMessage(aMessage({ content: "hello there" }), BOT_ID)
    expect(plan._tag).toBe("Command")
  })

  it("guild channel: a mention is stripped and marks the request mentioned", () => {
    const plan = planMessage(aMessage({ content: `<@${BOT_ID}> /status`, channelId: CHANNEL, guildId: GUILD }), BOT_ID)
    expect(plan._tag).toBe("Command")
    if (plan._tag !== "Command") return
    expect(plan.inbound.request).toMatchObject({ text: "/status", channelId: CHANNEL, channelKind: "channel", mentioned: true, threadId: "" })
  })

  it("guild channel: a slash command without a mention is handled; chatter is not", () => {
    const guild = { channelId: CHANNEL, guildId: GUILD }
    expect(planMessage(aMessage({ content: "/help", ...guild }), BOT_ID)._tag).toBe("Command")
    expect(planMessage(aMessage({ content: "lunch anyone?", ...guild }), BOT_ID)).toEqual({ _tag: "Skip", reason: "not-addressed" })
    expect(planMessage(aMessage({ content: "hi <@100000000000000009>", ...guild }), BOT_ID)._tag).toBe("Skip")
  })

  it("a thread message belongs to its parent channel; the reply goes to the thread", () => {
    const plan = planMessage(aMessage({ content: "/help", channelId: THREAD, parentChannelId: CHANNEL, guildId: GUILD }), BOT_ID)
    expect(plan._tag).toBe("Command")
    if (plan._tag !== "Command") return
    expect(plan.replyChannelId).toBe(THREAD)
    expect(plan.inbound.request).toMatchObject({ channelId: CHANNEL, threadId: THREAD, channelKind: "channel" })
  })

  it("bots, the bot itself, system messages and empty messages are skipped", () => {
    expect(planMessage(aMessage({ authorId: BOT_ID, authorIsBot: true }), BOT_ID)).toEqual({ _tag: "Skip", reason: "self" })
    expect(planMessage(aMessage({ authorIsBot: true }), BOT_ID)).toEqual({ _tag: "Skip", reason: "bot" })
    expect(planMessage(aMessage({ isSystem: true }), BOT_ID)).toEqual({ _tag: "Skip", reason: "system" })
    expect(planMessage(aMessage({ content: "  " }), BOT_ID)).toEqual({ _tag: "Skip", reason: "empty" })
  })

  it("an empty author name becomes unknown", () => {
    const plan = planMessage(aMessage({ authorName: "" }), BOT_ID)
    expect(plan._tag === "Command" && plan.inbound.request.username).toBe("unknown")
  })
})

describe("pressRequestOf", () => {
  it("who pressed where; a thread press belongs to the parent channel", () => {
    expect(pressRequestOf(aPress("c1.x", { channelId: THREAD, parentChannelId: CHANNEL, guildId: GUILD, userId: USER })))
      .toMatchObject({ platform: "discord", senderId: USER, channelId: CHANNEL, threadId: THREAD, channelKind: "channel", text: "" })
    expect(pressRequestOf(aPress("c1.x"))).toMatchObject({ channelId: DM_CHANNEL, threadId: "", channelKind: "dm" })
  })
})

describe("untrustedNote (log only)", () => {
  const request = (senderId: string, channelId: string) => ({ ...pressRequestOf(aPress("")), senderId, channelId })
  it("empty lists, listed user or channel, or neither", () => {
    expect(untrustedNote([], [], request("1", "2"))).toMatch(/empty/)
    expect(untrustedNote(["discord:1"], [], request("1", "2"))).toBeUndefined()
    expect(untrustedNote([], ["2"], request("1", "2"))).toBeUndefined()
    expect(untrustedNote(["3"], ["4"], request("1", "2"))).toMatch(/Not in allowlist/)
  })
})

const snowflake = fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }).map(String)
const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom("/status", ` /help`, "hello", "@everyone", `<@${BOT_ID}>`, "<@123> /status"),
  fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(`<@${BOT_ID}>`, `<@!${BOT_ID}>`, "/status"), fc.string({ maxLength: 20 }))
    .map((parts) => parts.join(""))
)

describe("the shared-chat gate and the bot filter (properties)", () => {
  it.prop("a guild message that neither mentions the bot nor starts with / is skipped", [anyText, snowflake], ([text, author]) => {
    fc.pre(!mentionsBot(text, BOT_ID) && !text.trimStart().startsWith("/"))
    const plan = planMessage(aMessage({ content: text, authorId: author, channelId: CHANNEL, guildId: GUILD }), BOT_ID)
    expect(plan._tag).toBe("Skip")
  })

  it.prop("a bot or the bot itself never gets through, in any chat", [anyText, fc.boolean(), fc.boolean()], ([text, self, guild]) => {
    const plan = planMessage(
      aMessage({
        content: text,
        authorId: self ? BOT_ID : USER,
        authorIsBot: true,
        ...(guild ? { channelId: CHANNEL, guildId: GUILD } : {})
      }),
      BOT_ID
    )
    expect(plan._tag).toBe("Skip")
  })

  it.live("such messages never reach the domain: no claim, no backend call, no reply", () =>
    Effect.gen(function*() {
      const h = harness()
      const sinks = recordingSinks()
      const unaddressed = fc.record({ text: anyText, author: snowflake, id: snowflake }).filter(({ text }) =>
        !mentionsBot(text, BOT_ID) && !text.trimStart().startsWith("/")
      )
      const fromBot = fc.record({ text: anyText, self: fc.boolean(), guild: fc.boolean(), id: snowflake })
      const run = (effect: Effect.Effect<void, never, any>) => Effect.runPromise(Effect.provide(effect, h.layer) as Effect.Effect<void>)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(unaddressed, fromBot, async (a, b) => {
            await run(handleMessage(
              aMessage({ id: a.id, content: a.text, authorId: a.author, channelId: CHANNEL, guildId: GUILD }),
              messageContext(sinks)
            ))
            await run(handleMessage(
              aMessage({
                id: b.id,
                content: b.text,
                authorId: b.self ? BOT_ID : USER,
                authorIsBot: true,
                ...(b.guild ? { channelId: CHANNEL, guildId: GUILD } : {})
              }),
              messageContext(sinks)
            ))
          }),
          { numRuns: 150 }
        )
      )
      expect(h.probe.claims).toEqual([])
      expect(h.backend.calls).toEqual([])
      expect(sinks.attempts).toEqual([])
      expect(sinks.typing).toEqual([])
    }))
})
