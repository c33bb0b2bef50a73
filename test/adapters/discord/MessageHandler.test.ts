import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { handleMessage, UNAVAILABLE_TEXT } from "../../../src/adapters/discord/MessageHandler.js"
import { DiscordSendError } from "../../../src/adapters/discord/SendError.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { ADMIN_ID, aMessage, BOT_ID, CHANNEL, DM_CHANNEL, GUILD, harness, messageContext, recordingSinks, THREAD } from "./support.js"

const STATUS = { status: "ok" }
const unreachable = () => new DiscordSendError({ reason: "unreachable", detail: "HTTP 502" })

describe("handleMessage", () => {
  it.live("a DM command is claimed, run with typing, and answered in the DM without pings", () =>
    Effect.gen(function*() {
      const h = harness()
      const sinks = recordingSinks()
      yield* handleMessage(aMessage({ id: "42", content: "/help" }), messageContext(sinks)).pipe(Effect.provide(h.layer))
      expect(h.probe.claims.map((c) => [c.key, c.outcome])).toEqual([["discord:42", "claimed"]])
      expect(h.probe.commits).toEqual(["discord:42"])
      expect(sinks.posted).toHaveLength(1)
      expect(sinks.posted[0]!.target).toBe(`channel ${DM_CHANNEL}`)
      expect(sinks.posted[0]!.message.content).toContain("/run <template>")
      expect(sinks.posted[0]!.message.allowed_mentions).toEqual({ parse: [] })
      expect(sinks.typing).toEqual([DM_CHANNEL])
    }))

  it.live("<@bot> /status in a guild channel runs /status; a thread message is answered in the thread", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("health", STATUS)
      const sinks = recordingSinks()
      const context = messageContext(sinks)
      yield* handleMessage(aMessage({ id: "1", content: `<@${BOT_ID}> /help`, channelId: CHANNEL, guildId: GUILD }), context)
        .pipe(Effect.provide(h.layer))
      yield* handleMessage(
        aMessage({ id: "2", content: "/help", channelId: THREAD, parentChannelId: CHANNEL, guildId: GUILD }),
        context
      ).pipe(Effect.provide(h.layer))
      expect(sinks.posted.map((p) => p.target)).toEqual([`channel ${CHANNEL}`, `channel ${THREAD}`])
      expect(sinks.typing).toEqual([CHANNEL, THREAD])
    }))

  it.live("the same message id twice (a RESUME replay) runs once and is answered once", () =>
    Effect.gen(function*() {
      const h = harness({ adminUsers: [ADMIN_ID] })
      h.backend.set("health", STATUS)
      h.backend.set("promptQueue", { queue_running: [], queue_pending: [] })
      const sinks = recordingSinks()
      const message = aMessage({ id: "77", content: "/status", authorId: ADMIN_ID })
      yield* handleMessage(message, messageContext(sinks)).pipe(Effect.provide(h.layer))
      const callsAfterFirst = h.backend.calls.length
      yield* handleMessage(message, messageContext(sinks)).pipe(Effect.provide(h.layer))
      expect(callsAfterFirst).toBeGreaterThan(0)
      expect(h.backend.calls.length).toBe(callsAfterFirst)
      expect(h.probe.claims.map((c) => c.outcome)).toEqual(["claimed", "duplicate_after_success"])
      expect(sinks.posted).toHaveLength(1)
    }))

  it.live("a store that cannot claim runs nothing and says so", () =>
    Effect.gen(function*() {
      const h = harness({}, { failClaimsFrom: 1 })
      const sinks = recordingSinks()
      yield* handleMessage(aMessage({ content: "/status" }), messageContext(sinks)).pipe(Effect.provide(h.layer))
      expect(h.backend.calls).toEqual([])
      expect(sinks.posted.map((p) => p.message.content)).toEqual([UNAVAILABLE_TEXT])
    }))

  it.live("a reply that fails twice is retried with the same nonce; the command ran once", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("health", STATUS)
      h.backend.set("promptQueue", { queue_running: [], queue_pending: [] })
      const sinks = recordingSinks()
      sinks.failures.push(unreachable(), unreachable())
      yield* handleMessage(aMessage({ content: "/status" }), messageContext(sinks)).pipe(Effect.provide(h.layer))
      expect(sinks.attempts).toHaveLength(3)
      expect(new Set(sinks.attempts.map((a) => a.nonce)).size).toBe(1)
      expect(sinks.attempts[0]!.nonce).toMatch(/^[a-z0-9]{22}$/)
      expect(sinks.posted).toHaveLength(1)
      expect(h.backend.callsTo("health")).toHaveLength(1)
      expect(h.probe.commits).toHaveLength(1)
    }))

  it.live("a refused send (4xx) is not retried; a long reply stops at the failed part", () =>
    Effect.gen(function*() {
      const h = harness()
      const sinks = recordingSinks()
      sinks.failures.push(new DiscordSendError({ reason: "rejected", detail: "HTTP 403, Discord code 50013" }))
      yield* handleMessage(aMessage({ content: "/help" }), messageContext(sinks)).pipe(Effect.provide(h.layer))
      expect(sinks.attempts).toHaveLength(1)
      expect(sinks.posted).toHaveLength(0)
      expect(h.probe.commits).toHaveLength(1)
    }))

  it.live("a 401 on send marks the bot's token invalid in platform health; a later success marks it ok", () =>
    Effect.gen(function*() {
      const sinks = recordingSinks()
      sinks.failures.push(new DiscordSendError({ reason: "unauthorized", detail: "HTTP 401, Discord code 0" }))
      const health = yield* PlatformHealth
      yield* handleMessage(aMessage({ id: "1", content: "/help" }), messageContext(sinks))
      expect((yield* health.snapshot).map((r) => [r.platform, r.state])).toEqual([["discord", "invalid_token"]])
      yield* handleMessage(aMessage({ id: "2", content: "/help" }), messageContext(sinks))
      expect((yield* health.snapshot).map((r) => [r.platform, r.state])).toEqual([["discord", "ok"]])
    }).pipe(Effect.provide(harness().layer)))

  it.live("text that is not a known command gets the core's answer in a DM, and pings nobody", () =>
    Effect.gen(function*() {
      const h = harness()
      const sinks = recordingSinks()
      yield* handleMessage(aMessage({ content: "@everyone hello" }), messageContext(sinks)).pipe(Effect.provide(h.layer))
      expect(sinks.posted[0]!.message).toEqual({ content: Texts.unknown("@everyone"), allowed_mentions: { parse: [] } })
    }))
})
