import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Metric, MetricState } from "effect"
import { handleCommand } from "../../../src/domain/command/Router.js"
import { commandCounter } from "../../../src/domain/model/Metrics.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { Backend } from "../../../src/ports/Backend.js"
import { ADMIN_ID, saying, settingsLayer } from "../../support/Builders.js"
import { harness, makeLedgerFake } from "../fakes.js"

const HEALTH = { ok: true, stats: { logs_processed: 3, errors_captured: 0 } }
const QUEUE = { exec_info: { queue_remaining: 2 } }

describe("pipeline: exact replies of the early steps", () => {
  it.effect("a quoted empty string is an unknown command with an empty word", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("\"\""))).toBe("Unknown command: . Type /help for options.")
    }))

  it.effect("whitespace-only text is an empty command", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying(" \u00a0\t\n\u3000 "))).toBe("Empty command.")
    }))

  it.effect("unbalanced quotes", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("/run \"oops"))).toBe(Texts.unbalanced)
      expect(yield* h.handle(saying("/run x\\"))).toBe("[Error] Parsing command arguments failed (unbalanced quotes?).")
    }))

  it.effect("an apostrophe is not a quote", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("submitJob", { prompt_id: "p-1" })
      const reply = yield* h.handle(saying("/run z She's wearing an oversized tee seed=-1"))
      expect(reply).not.toContain("unbalanced quotes")
      expect(h.backend.callsTo("submitJob")[0]![0]).toMatchObject({
        templateId: "z",
        inputs: { seed: "-1", positive_prompt: "She's wearing an oversized tee" }
      })
    }))

  it.effect("too long, counted in code points after trimming", () =>
    Effect.gen(function*() {
      const h = harness({ maxCommandLength: 100 })
      expect(yield* h.handle(saying(`/status ${"x".repeat(200)}`))).toBe("[Error] Command too long (208 chars). Max: 100.")
      // 100 emoji are 200 UTF-16 units but 100 code points: allowed (then unknown).
      const emoji = "😀".repeat(100)
      expect(yield* h.handle(saying(`  ${emoji}  `))).toBe(`Unknown command: ${emoji}. Type /help for options.`)
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("unknown words are echoed lower-cased; free text is never sent anywhere", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("Hello there"))).toBe("Unknown command: hello. Type /help for options.")
      expect(yield* h.handle(saying("stop"))).toBe("Unknown command: stop. Type /help for options.")
      expect(yield* h.handle(saying("/queue"))).toBe("Unknown command: /queue. Type /help for options.")
      expect(yield* h.handle(saying("start"))).toBe("Unknown command: start. Type /help for options.")
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("aliases without a slash and any case run the command", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("help me please"))).toBe(Texts.help)
      expect(yield* h.handle(saying("/START"))).toBe(Texts.help)
      expect(yield* h.handle(saying("cancel that", { senderId: "1" }))).toBe(Texts.adminRequired)
    }))
})

describe("pipeline: mentions and Telegram bot suffixes", () => {
  it.effect("Telegram /help@bot is /help", () =>
    Effect.gen(function*() {
      const h = harness()
      const reply = yield* h.handle(saying("/help@openclaw_bot"))
      expect(reply).toContain("/run <template>")
    }))

  it.effect("@bot /status is promoted on every platform", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("health", HEALTH)
      h.backend.set("promptQueue", QUEUE)
      expect(yield* h.handle(saying("@openclaw_bot /status"))).toContain("System Status")
      expect(yield* h.handle(saying("@bot /STATUS", { platform: "discord" }))).toContain("System Status")
    }))

  it.effect("Telegram @bot /help@bot is normalised (bug 8 fixed)", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("@openclaw_bot /help@openclaw_bot"))).toBe(Texts.help)
    }))

  it.effect("the suffix is not stripped outside Telegram", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("/help@bot", { platform: "discord" }))).toBe(
        "Unknown command: /help@bot. Type /help for options."
      )
    }))

  it.effect("a mention without a following slash command is not promoted", () =>
    Effect.gen(function*() {
      const h = harness()
      expect(yield* h.handle(saying("@bot help"))).toBe("Unknown command: @bot. Type /help for options.")
      expect(yield* h.handle(saying("@bot"))).toBe("Unknown command: @bot. Type /help for options.")
    }))

  it.effect("promotion keeps the remaining args", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("history", {})
      yield* h.handle(saying("@bot /history p-1"))
      expect(h.backend.callsTo("history")).toEqual([["p-1"]])
    }))
})

describe("pipeline: rate limit comes first and is platform-qualified", () => {
  const denyAll = Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(false) }))

  it.effect("a denied message gets the rate-limit reply, whatever it is", () =>
    Effect.gen(function*() {
      const h = harness()
      for (const text of ["", "/status", "x".repeat(10_000), "/run \"oops", "/stop"]) {
        const reply = yield* handleCommand(saying(text), { eventKey: "" }).pipe(
          Effect.provide(Layer.mergeAll(h.layer, denyAll))
        )
        expect(reply.text).toBe("[Rate Limited] Too many requests. Please wait a moment.")
      }
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("keys are <platform>:<sender> and <platform>:<channel>, platform lower-cased", () =>
    Effect.gen(function*() {
      const h = harness()
      yield* h.handle(saying("/help", { platform: "Telegram", senderId: "u1", channelId: "c1" }))
      yield* h.handle(saying("", { platform: "kakao", senderId: "u1", channelId: "c2" }))
      expect(h.limiterKeys).toEqual([["telegram:u1", "telegram:c1"], ["kakao:u1", "kakao:c2"]])
    }))
})

describe("pipeline: handler defects", () => {
  it.effect("a defect becomes a fixed reply that never echoes the exception", () =>
    Effect.gen(function*() {
      const h = harness()
      const dying = Layer.succeed(Backend, {
        health: Effect.die(new Error("secret-token-in-stack")),
        promptQueue: Effect.succeed({})
      } as unknown as Backend["Type"])
      const reply = yield* handleCommand(saying("/status"), { eventKey: "" }).pipe(
        Effect.provide(Layer.mergeAll(h.layer, makeLedgerFake().layer, dying))
      )
      expect(reply.text).toBe("[Internal Error] Command failed; see connector logs.")
      expect(reply.text).not.toContain("secret")
    }))
})

describe("metrics", () => {
  const counterValue = (commandClass: string, outcome: string) =>
    Metric.value(commandCounter(commandClass, outcome)).pipe(
      Effect.map((state: MetricState.MetricState.Counter<number>) => state.count)
    )

  it.effect("commands are counted by class and outcome", () =>
    Effect.gen(function*() {
      const h = harness()
      const before = {
        publicOk: yield* counterValue("public", "ok"),
        adminDenied: yield* counterValue("admin", "denied"),
        unknown: yield* counterValue("none", "unknown"),
        usage: yield* counterValue("run", "usage")
      }
      yield* h.handle(saying("/help"))
      yield* h.handle(saying("/stop", { senderId: "nobody" }))
      yield* h.handle(saying("/nope"))
      yield* h.handle(saying("/run"))
      expect(yield* counterValue("public", "ok")).toBe(before.publicOk + 1)
      expect(yield* counterValue("admin", "denied")).toBe(before.adminDenied + 1)
      expect(yield* counterValue("none", "unknown")).toBe(before.unknown + 1)
      expect(yield* counterValue("run", "usage")).toBe(before.usage + 1)
    }))
})

describe("/help and /status", () => {
  it.effect("help text: /stop and /jobs only after Admin Only:, /chat listed publicly", () =>
    Effect.gen(function*() {
      const h = harness()
      const reply = yield* h.handle(saying("/help extra args", { senderId: "stranger" }))
      expect(reply).toBe(Texts.help)
      const [publicPart, adminPart] = reply.split("Admin Only:")
      expect(publicPart).toContain("/run <template>")
      expect(publicPart).toContain("/chat <message> - Ask the assistant (suggests commands, never runs them)")
      expect(publicPart).not.toContain("/stop")
      expect(publicPart).not.toContain("/jobs")
      expect(adminPart).toContain("\n/jobs - Authoritative jobs summary")
      expect(adminPart).toContain("/stop [job_id ...]")
    }))

  it.effect("online status", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("health", HEALTH)
      h.backend.set("promptQueue", QUEUE)
      expect(yield* h.handle(saying("/status", { senderId: "anyone" }))).toBe(
        "[Online] System Status\n- Logs: 3\n- Errors: 0\n- Queue: 2"
      )
    }))

  it.effect("missing stats and a failed queue read show 0", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("health", { ok: true })
      expect(yield* h.handle(saying("status"))).toBe("[Online] System Status\n- Logs: 0\n- Errors: 0\n- Queue: 0")
      expect(h.backend.calls.map((c) => c.op)).toEqual(["health", "promptQueue"])
    }))

  it.effect("offline status shows the error text", () =>
    Effect.gen(function*() {
      const h = harness()
      const layer = Layer.mergeAll(h.layer, settingsLayer())
      const reply = yield* handleCommand(saying("/status"), { eventKey: "" }).pipe(Effect.provide(layer))
      expect(reply.text).toBe("[Offline] System Status\n- Error: no stub response for health")
    }))

  it.effect("an admin is admin on another platform when listed bare", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("interrupt", {})
      expect(yield* h.handle(saying("/stop", { platform: "slack", senderId: ADMIN_ID }))).toBe(
        "[Stop] Global Interrupt sent to ComfyUI."
      )
    }))
})
