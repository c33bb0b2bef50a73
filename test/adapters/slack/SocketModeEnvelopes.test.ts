import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck as fc, Fiber, Logger, LogLevel } from "effect"
import type { RawResponse } from "../../../src/adapters/http/WebhookServer.js"
import type { SlackEventPipeline, SlackRetry } from "../../../src/adapters/slack/EventsRoute.js"
import type { SlackInteractionPipeline } from "../../../src/adapters/slack/Interactions.js"
import { refusalOf, scrubLibraryText } from "../../../src/adapters/slack/SocketModeClient.js"
import { type Ack, handleEnvelope, retryOf, type SocketEnvelope } from "../../../src/adapters/slack/SocketModeEnvelopes.js"

/** Socket Mode envelopes with stub pipelines: routed to the right pipeline, acknowledged after its answer. */
const envelope = (over: Partial<SocketEnvelope> = {}): SocketEnvelope => ({
  type: "events_api",
  envelopeId: "env-1",
  payload: { type: "event_callback", event_id: "Ev1" },
  retryAttempt: 0,
  retryReason: "",
  ...over
})

const setup = (answer: RawResponse = { status: 200, body: "OK" }) => {
  const steps: Array<string> = []
  const retries: Array<SlackRetry> = []
  const logs: Array<string> = []
  // As the pipelines answer: work behind a 2xx/4xx answer, none behind a 5xx (nothing was claimed).
  const respond = (what: string): RawResponse =>
    answer.status >= 500
      ? answer
      : {
        ...answer,
        after: Effect.sync(() => void steps.push(`${what}:after`)),
        abandon: Effect.sync(() => void steps.push(`${what}:abandon`))
      }
  const events: SlackEventPipeline = {
    process: (payload, retry) =>
      Effect.sync(() => {
        steps.push(`events:${String(payload["event_id"])}`)
        retries.push(retry)
        return respond("events")
      })
  }
  const interactions: SlackInteractionPipeline = {
    process: (payload) =>
      Effect.sync(() => {
        steps.push(`interactive:${String(payload["type"])}`)
        return respond("interactive")
      })
  }
  const ack: Ack = Effect.sync(() => void steps.push("ack"))
  const failingAck: Ack = Effect.zipRight(
    Effect.sync(() => void steps.push("ack-failed")),
    Effect.fail({ _tag: "AckFailed" as const, reason: "SMSendWhileNotReadyError" })
  )
  const capture = Logger.make(({ message }) => void logs.push(Array.isArray(message) ? message.join(" ") : String(message)))
  const run = (e: SocketEnvelope, a: Ack = ack) =>
    handleEnvelope(e, a, { events, interactions }).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      Logger.withMinimumLogLevel(LogLevel.Debug)
    ) as Effect.Effect<void>
  return { steps, retries, logs, run, failingAck }
}

describe("Socket Mode envelopes", () => {
  it.effect("events_api: the events pipeline answers, then the ack goes out, then the work behind the answer", () =>
    Effect.gen(function*() {
      const t = setup()
      yield* t.run(envelope())
      expect(t.steps).toEqual(["events:Ev1", "ack", "events:after"])
      expect(t.retries).toEqual([{ num: "", reason: "" }])
    }))

  it.effect("interactive: the interactions pipeline answers, then the ack, then the press", () =>
    Effect.gen(function*() {
      const t = setup()
      yield* t.run(envelope({ type: "interactive", payload: { type: "block_actions" } }))
      expect(t.steps).toEqual(["interactive:block_actions", "ack", "interactive:after"])
    }))

  it.effect("a redelivery carries Slack's retry marker into the pipeline (its message-key dedupe)", () =>
    Effect.gen(function*() {
      const t = setup()
      yield* t.run(envelope({ retryAttempt: 2, retryReason: "timeout" }))
      expect(t.retries).toEqual([{ num: "2", reason: "timeout" }])
    }))

  it.effect("slash commands, unknown types and payloads that are not objects are acknowledged and run nothing", () =>
    Effect.gen(function*() {
      const t = setup()
      yield* t.run(envelope({ type: "slash_commands", payload: { command: "/x" } }))
      yield* t.run(envelope({ type: "something_new" }))
      yield* t.run(envelope({ payload: "not an object" }))
      yield* t.run(envelope({ type: "interactive", payload: null }))
      expect(t.steps).toEqual(["ack", "ack", "ack", "ack"])
    }))

  it.effect("without an envelope id there is nothing to acknowledge; the envelope still runs", () =>
    Effect.gen(function*() {
      const t = setup()
      yield* t.run(envelope({ envelopeId: "" }))
      expect(t.steps).toEqual(["events:Ev1", "events:after"])
    }))

  it.effect("an acknowledgement that cannot be sent is logged; the work still runs (its claim dedupes Slack's redelivery)", () =>
    Effect.gen(function*() {
      const t = setup()
      yield* t.run(envelope(), t.failingAck)
      expect(t.steps).toEqual(["events:Ev1", "ack-failed", "events:after"])
      expect(t.logs.some((l) => l.includes("events_api envelope env-1 not acknowledged (SMSendWhileNotReadyError)"))).toBe(true)
    }))

  it.effect("a 503 answer (store or registry unavailable) is not acknowledged, so Slack redelivers the envelope", () =>
    Effect.gen(function*() {
      const t = setup({ status: 503, body: "Service Unavailable" })
      yield* t.run(envelope({ envelopeId: "env-9" }))
      yield* t.run(envelope({ envelopeId: "env-10", type: "interactive", payload: { type: "block_actions" } }))
      expect(t.steps).toEqual(["events:Ev1", "interactive:block_actions"])
      expect(t.logs.some((l) => l.includes("events_api envelope env-9 not handled (503 Service Unavailable); not acknowledged"))).toBe(true)
    }))

  it.effect("a 400 answer (a payload that can never run) is acknowledged: a redelivery would not help", () =>
    Effect.gen(function*() {
      const t = setup({ status: 400, body: "Missing event_id" })
      yield* t.run(envelope())
      expect(t.steps).toEqual(["events:Ev1", "ack", "events:after"])
    }))

  it.effect("interrupted between the answer and its work (shutdown while acknowledging): the claim is given back", () =>
    Effect.gen(function*() {
      const t = setup()
      const acking = yield* Deferred.make<void>()
      const stuckAck: Ack = Effect.zipRight(Deferred.succeed(acking, undefined), Effect.never)
      const fiber = yield* Effect.fork(t.run(envelope(), stuckAck))
      yield* Deferred.await(acking)
      yield* Fiber.interrupt(fiber)
      expect(t.steps).toEqual(["events:Ev1", "events:abandon"])
    }))

  it("retryOf: only a positive whole retry_attempt is a retry", () => {
    expect(retryOf(envelope({ retryAttempt: 0 })).num).toBe("")
    expect(retryOf(envelope({ retryAttempt: -1 })).num).toBe("")
    expect(retryOf(envelope({ retryAttempt: Number.NaN })).num).toBe("")
    expect(retryOf(envelope({ retryAttempt: 1.5 })).num).toBe("")
    expect(retryOf(envelope({ retryAttempt: 3, retryReason: "x".repeat(200) }))).toEqual({ num: "3", reason: "x".repeat(64) })
  })
})

describe("Socket Mode refusals and library output", () => {
  it("refusals: token errors are invalid_token, other Slack errors rejected, transport failures unreachable", () => {
    const platform = (error: string) => ({ code: "slack_webapi_platform_error", data: { ok: false, error } })
    expect(refusalOf(platform("invalid_auth"))).toEqual({ state: "invalid_token", detail: "apps.connections.open: invalid_auth" })
    expect(refusalOf(platform("not_authed")).state).toBe("invalid_token")
    expect(refusalOf(platform("team_disabled"))).toEqual({ state: "rejected", detail: "apps.connections.open: team_disabled" })
    expect(refusalOf(platform("internal_error")).state).toBe("unreachable")
    expect(refusalOf(platform("ratelimited")).state).toBe("rate_limited")
    expect(refusalOf(platform("<script> xapp-1-secret")).detail).toBe("apps.connections.open: unrecognised")
    expect(refusalOf({ code: "slack_webapi_http_error", statusCode: 502 }).detail).toBe("apps.connections.open: http 502")
    expect(refusalOf({ code: "slack_webapi_rate_limited_error" }).state).toBe("rate_limited")
    expect(refusalOf(new Error("ECONNREFUSED")).state).toBe("unreachable")
    expect(refusalOf(new Error("A rate limit was exceeded (url: x, retry-after: 3)")).state).toBe("rate_limited")
  })

  it.prop(
    "library text never carries the app token, any Slack token or a URL (the socket URL holds a ticket)",
    [fc.stringMatching(/^[A-Za-z0-9-]{8,40}$/), fc.string({ maxLength: 40 }), fc.constantFrom("xapp", "xoxb", "xoxp")],
    ([secret, noise, kind]) => {
      const token = `${kind}-${secret}`
      const text = scrubLibraryText(`xapp-${secret}`, [
        `Failed (${noise}) token=${token}`,
        new Error(`wss://wss-primary.slack.com/link/?ticket=${secret}&app_id=A1 ${noise}`),
        `xapp-${secret}`
      ])
      return !text.includes(token) && !text.includes(`xapp-${secret}`) && !text.includes(`ticket=${secret}`) && text.length <= 300
    }
  )
})
