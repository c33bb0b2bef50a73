import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { startDiscord } from "../../../src/adapters/discord/DiscordLive.js"
import { fatalClose } from "../../../src/adapters/discord/Gateway.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { type DiscordFake, type DiscordFakeOptions, startDiscordFake } from "../../e2e/support/DiscordFake.js"
import { ADMIN_ID, CHANNEL, GUILD, harness, USER } from "./support.js"

/**
 * The real discord.js client in-process against the fake Discord (REST + gateway on 127.0.0.1),
 * with in-memory ports: connection, login failures and RESUME replays.
 */

const serveDiscord = (fakeOptions: DiscordFakeOptions = {}, token?: string, before?: (fake: DiscordFake) => void) =>
  Effect.gen(function*() {
    const fake: DiscordFake = yield* Effect.acquireRelease(
      Effect.promise(() => startDiscordFake({ guilds: [{ id: GUILD, channels: [CHANNEL] }], ...fakeOptions })),
      (f) => Effect.promise(() => f.close())
    )
    before?.(fake)
    const h = harness({ adminUsers: [ADMIN_ID] })
    h.backend.set("health", { ok: true })
    h.backend.set("promptQueue", { exec_info: { queue_remaining: 0 } })
    const logs: Array<string> = []
    const listeners = new Set<() => void>()
    const capture = Logger.make(({ message }) => {
      logs.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
      for (const l of [...listeners]) l()
    })
    /** Resolves when a log line satisfies `predicate`; fails after 10 s. */
    const logged = (predicate: (line: string) => boolean, what: string) =>
      Effect.async<void, Error>((resume) => {
        const check = () => {
          if (!logs.some(predicate)) return
          listeners.delete(check)
          clearTimeout(timer)
          resume(Effect.void)
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          resume(Effect.fail(new Error(`no log line for ${what}; logs: ${logs.join(" | ")}`)))
        }, 10_000)
        listeners.add(check)
        check()
      })
    const context = yield* Layer.build(Layer.mergeAll(
      h.layer,
      Logger.replace(Logger.defaultLogger, capture),
      Logger.minimumLogLevel(LogLevel.Debug)
    ))
    yield* startDiscord({
      token: Redacted.make(token ?? fake.token),
      apiRoot: fake.apiRoot,
      allowedUsers: [],
      allowedChannels: [],
      loginRetryBase: Duration.millis(10)
    }).pipe(Effect.provide(context))
    const health = Context.get(context, PlatformHealth)
    const states = () => Effect.map(health.snapshot, (records) => records.map((r) => `${r.platform}:${r.state}`))
    return { fake, h, logs, logged, states }
  })

describe("Discord gateway client", () => {
  it.scopedLive("connects with the right intents, no compression, JSON, and says so", () =>
    Effect.gen(function*() {
      const { fake, logs, logged, states: health } = yield* serveDiscord()
      yield* logged((l) => l === "Discord connected as openclaw-bot", "READY")
      expect(fake.gateway.identifies).toHaveLength(1)
      const identify = fake.gateway.identifies[0]
      // Guilds | GuildMessages | DirectMessages | MessageContent
      expect(identify.intents).toBe(1 | (1 << 9) | (1 << 12) | (1 << 15))
      expect(identify.compress).toBe(false)
      expect(fake.gateway.connectUrls).toEqual(["/gateway?v=10&encoding=json"])
      expect(fake.gateway.binaryFrames()).toBe(0)
      expect(fake.callsTo("GET", "/api/v10/gateway/bot")).toHaveLength(1)
      expect(fake.callsTo("GET", "/api/v10/gateway/bot")[0]!.headers["authorization"]).toBe(`Bot ${fake.token}`)
      expect(yield* health()).toEqual(["discord:ok"])
      expect(logs.join("\n")).not.toContain(fake.token)
    }))

  it.scopedLive("an invalid token is recorded as invalid_token, logged, and not retried; nothing crashes", () =>
    Effect.gen(function*() {
      const { fake, logs, logged, states: health } = yield* serveDiscord({ token: "the-real-token" }, "a-wrong-token")
      yield* logged((l) => l.startsWith("Discord login failed: Discord refused the bot token"), "login failure")
      expect(yield* health()).toEqual(["discord:invalid_token"])
      expect(fake.callsTo("GET", "/api/v10/gateway/bot")).toHaveLength(1)
      expect(fake.gateway.identifies).toHaveLength(0)
      expect(logs.join("\n")).not.toContain("a-wrong-token")
    }))

  it.scopedLive("an unreachable Discord at login is recorded and retried with backoff until it connects", () =>
    Effect.gen(function*() {
      const down = { status: 503, json: { message: "upstream unavailable" } }
      const { fake, logged, states: health } = yield* serveDiscord({}, undefined, (f) =>
        // discord.js retries a 5xx twice itself: three answers fail the first login attempt.
        f.answerNext("GET", "/api/v10/gateway/bot", down, down, down))
      yield* logged((l) => l.startsWith("Discord login failed (HTTP 503); retrying in"), "retry")
      yield* logged((l) => l === "Discord connected as openclaw-bot", "READY after retry")
      expect(fake.callsTo("GET", "/api/v10/gateway/bot")).toHaveLength(4)
      expect(fake.gateway.identifies).toHaveLength(1)
      expect(yield* health()).toEqual(["discord:ok"])
    }))

  it.scopedLive("a fatal close on IDENTIFY (4014: Message Content intent not enabled) stops with a clear reason", () =>
    Effect.gen(function*() {
      const { fake, logged, states: health } = yield* serveDiscord({ closeOnIdentify: 4014 })
      yield* logged((l) => l.startsWith("Discord login failed: gateway closed 4014: disallowed intents"), "fatal close")
      expect(yield* health()).toEqual(["discord:rejected"])
      expect(fake.gateway.identifies).toHaveLength(1)
      expect(fatalClose(4004)?.state).toBe("invalid_token")
      expect(fatalClose(4000)).toBeUndefined()
    }))

  it.scopedLive("after a dropped connection the client RESUMEs; replayed messages run once", () =>
    Effect.gen(function*() {
      const { fake, h, logged } = yield* serveDiscord()
      yield* logged((l) => l.startsWith("Discord connected as"), "READY log")
      fake.message({ channelId: CHANNEL, guildId: GUILD, author: { id: USER, username: "alice" }, content: "/status" })
      yield* Effect.promise(() => fake.waitFor(() => fake.created.length === 1, "first reply"))
      const backendCalls = h.backend.calls.length
      // Drop the socket; on RESUME the fake sends the /status message again.
      fake.gateway.drop(4000, { replay: 1 })
      yield* Effect.promise(() => fake.waitFor(() => fake.gateway.resumes.length === 1 && fake.gateway.ready(), "RESUME"))
      expect(fake.gateway.resumes[0]).toMatchObject({ token: fake.token, session_id: "session-1" })
      expect(fake.gateway.identifies).toHaveLength(1)
      // A marker message after the replay: once it is answered, the replayed one was handled.
      fake.message({ channelId: CHANNEL, guildId: GUILD, author: { id: USER, username: "alice" }, content: "/help" })
      yield* Effect.promise(() => fake.waitFor(() => fake.created.length === 2, "marker reply"))
      expect(fake.created[1]!.body.content).toContain("/run <template>")
      expect(h.backend.calls.length).toBe(backendCalls)
      expect(h.probe.claims.map((c) => c.outcome)).toEqual(["claimed", "duplicate_after_success", "claimed"])
      expect(fake.created).toHaveLength(2)
    }))
})
