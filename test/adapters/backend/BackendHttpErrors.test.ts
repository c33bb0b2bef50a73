import { describe, expect, it } from "@effect/vitest"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Metric, MetricState } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import { backendLatency } from "../../../src/domain/model/Metrics.js"
import { reply, startFakeBackend, type FakeBackend } from "../../support/FakeBackend.js"
import { ADMIN_TOKEN, withBackend } from "./support.js"

let fake: FakeBackend
beforeAll(async () => {
  fake = await startFakeBackend({ adminToken: ADMIN_TOKEN })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

/** A port on 127.0.0.1 that was just released, so nothing listens there. */
const closedPortUrl = async (): Promise<string> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

const histogramCount = (operation: string, outcome: string) =>
  Metric.value(backendLatency(operation, outcome)).pipe(
    Effect.map((state: MetricState.MetricState.Histogram) => state.count)
  )

describe("BackendHttp answers and failures", () => {
  it.live("a JSON error body gives its `error` text, the status and the body", () =>
    Effect.gen(function*() {
      const error = yield* withBackend(fake.url, (b) =>
        Effect.flip(b.submitJob({ templateId: "nope", inputs: {}, requireApproval: false })))
      expect(error).toMatchObject({
        _tag: "BackendError",
        reason: "rejected",
        status: 404,
        message: "template_id 'nope' not found",
        body: { error: "template_id 'nope' not found" }
      })
    }))

  it.live("falls back to `message`, then to `HTTP <status>`", () =>
    Effect.gen(function*() {
      fake.override("GET", "/openclaw/config", () => reply(403, { ok: false, message: "go away" }))
      fake.override("GET", "/openclaw/templates", () => reply(500, { ok: false, error: "" }))
      fake.override("GET", "/openclaw/jobs", () => reply(503, { error: { code: "x" } }))
      const [config, templates, jobs] = yield* withBackend(fake.url, (b) =>
        Effect.all([Effect.flip(b.config), Effect.flip(b.templates), Effect.flip(b.jobs)]))
      expect(config.message).toBe("go away")
      expect(templates.message).toBe("HTTP 500")
      expect(templates.status).toBe(500)
      expect(jobs.message).toBe(`{"code":"x"}`)
    }))

  it.live("a non-JSON error body gives `HTTP <status>: <text>`, with no body", () =>
    Effect.gen(function*() {
      const error = yield* withBackend(fake.url, (b) => Effect.flip(b.cancelJob("p-legacy")))
      expect(error.reason).toBe("rejected")
      expect(error.status).toBe(404)
      expect(error.message).toBe("HTTP 404: 404: Not Found")
      expect(error.body).toBeUndefined()
    }))

  it.live("bounds long error texts", () =>
    Effect.gen(function*() {
      fake.override("GET", "/openclaw/health", () => ({ status: 500, text: "x".repeat(5000) }))
      fake.override("GET", "/openclaw/config", () => reply(500, { error: "y".repeat(5000) }))
      const [plain, json] = yield* withBackend(fake.url, (b) => Effect.all([Effect.flip(b.health), Effect.flip(b.config)]))
      expect(plain.message.length).toBeLessThanOrEqual(310)
      expect(plain.message.startsWith("HTTP 500: xxx")).toBe(true)
      expect(json.message.length).toBeLessThanOrEqual(310)
    }))

  it.live("only 200, 201 and 202 succeed", () =>
    Effect.gen(function*() {
      fake.override("GET", "/openclaw/health", () => ({ status: 204 }))
      fake.override("GET", "/openclaw/config", () => reply(201, { made: true }))
      const [health, config] = yield* withBackend(fake.url, (b) => Effect.all([Effect.flip(b.health), b.config]))
      expect(health).toMatchObject({ reason: "rejected", status: 204, message: "HTTP 204" })
      expect(config).toEqual({ made: true })
    }))

  it.live("an empty or non-JSON success body reads as {}", () =>
    Effect.gen(function*() {
      fake.override("GET", "/openclaw/health", () => ({ status: 200, text: "<html>ok</html>" }))
      const [interrupt, health] = yield* withBackend(fake.url, (b) => Effect.all([b.interrupt(), b.health]))
      expect(interrupt).toEqual({})
      expect(health).toEqual({})
    }))

  it.live("a closed port is `unreachable` with a fixed text that names neither URL nor token", () =>
    Effect.gen(function*() {
      const url = yield* Effect.promise(closedPortUrl)
      const error = yield* withBackend(url, (b) => Effect.flip(b.health))
      expect(error.reason).toBe("unreachable")
      expect(error.message).toBe("backend unreachable")
      expect(error.status).toBeUndefined()
      const rendered = `${error.message} ${JSON.stringify(error)} ${String(error)}`
      expect(rendered).not.toContain("127.0.0.1")
      expect(rendered).not.toContain(ADMIN_TOKEN)
    }))

  it.live("a connection dropped mid-request is `unreachable`", () =>
    Effect.gen(function*() {
      fake.override("GET", "/openclaw/health", () => ({ destroy: true }))
      const error = yield* withBackend(fake.url, (b) => Effect.flip(b.health))
      expect(error).toMatchObject({ reason: "unreachable", message: "backend unreachable" })
    }))

  it.live("a backend that never answers times out as `unreachable`", () =>
    Effect.gen(function*() {
      fake.override("GET", "/openclaw/health", () => ({ hang: true }))
      const error = yield* withBackend(fake.url, (b) => Effect.flip(b.health), { timeouts: { default: "150 millis" } })
      expect(error).toMatchObject({ reason: "unreachable", message: "backend timed out" })
      expect(error.message).not.toContain(fake.url)
    }))

  it.live("LLM chat uses its own timeout", () =>
    Effect.gen(function*() {
      fake.override("POST", "/openclaw/llm/chat", () => ({ hang: true }))
      const error = yield* withBackend(
        fake.url,
        (b) => Effect.flip(b.chatLlm({ system: "", userMessage: "hi", temperature: 0.7, maxTokens: 10 })),
        { timeouts: { default: "1 hour", llm: "150 millis" } }
      )
      expect(error.message).toBe("backend timed out")
    }))

  it.live("/view returns the file's bytes", () =>
    Effect.gen(function*() {
      const bytes = Uint8Array.from([1, 2, 3, 250])
      fake.addFile({ filename: "out.png", subfolder: "", type: "output" }, bytes)
      const got = yield* withBackend(fake.url, (b) => b.view({ filename: "out.png", subfolder: "", type: "output" }))
      expect(Array.from(got)).toEqual([1, 2, 3, 250])
    }))

  it.live("/view refuses unknown files and files over the size cap", () =>
    Effect.gen(function*() {
      fake.addFile({ filename: "big.png", subfolder: "", type: "output" }, new Uint8Array(2048))
      const [missing, big] = yield* withBackend(fake.url, (b) =>
        Effect.all([
          Effect.flip(b.view({ filename: "none.png", subfolder: "", type: "output" })),
          Effect.flip(b.view({ filename: "big.png", subfolder: "", type: "output" }))
        ]), { maxViewBytes: 1024 })
      expect(missing).toMatchObject({ reason: "rejected", status: 404, message: "HTTP 404: 404: Not Found" })
      expect(big).toMatchObject({ reason: "rejected", status: 200, message: "response too large" })
    }))

  it.live("/view enforces the cap while streaming when no length is declared", () =>
    Effect.gen(function*() {
      fake.override("GET", "/view", () => ({ status: 200, bytes: new Uint8Array(4096), headers: { "transfer-encoding": "chunked" } }))
      const error = yield* withBackend(fake.url, (b) =>
        Effect.flip(b.view({ filename: "x.png", subfolder: "", type: "output" })), { maxViewBytes: 100 })
      expect(error).toMatchObject({ reason: "rejected", message: "response too large" })
    }))

  it.live("/view has its own timeout", () =>
    Effect.gen(function*() {
      fake.override("GET", "/view", () => ({ hang: true }))
      const error = yield* withBackend(fake.url, (b) =>
        Effect.flip(b.view({ filename: "x.png", subfolder: "", type: "output" })), {
        timeouts: { default: "1 hour", view: "150 millis" }
      })
      expect(error.message).toBe("backend timed out")
    }))

  it.live("records each call's latency by operation and outcome", () =>
    Effect.gen(function*() {
      const okBefore = yield* histogramCount("templates", "ok")
      const rejectedBefore = yield* histogramCount("submit_job", "rejected")
      yield* withBackend(fake.url, (b) =>
        Effect.all([b.templates, Effect.either(b.submitJob({ templateId: "nope", inputs: {}, requireApproval: false }))]))
      expect(yield* histogramCount("templates", "ok")).toBe(okBefore + 1)
      expect(yield* histogramCount("submit_job", "rejected")).toBe(rejectedBefore + 1)
      const url = yield* Effect.promise(closedPortUrl)
      const unreachableBefore = yield* histogramCount("health", "unreachable")
      yield* withBackend(url, (b) => Effect.either(b.health))
      expect(yield* histogramCount("health", "unreachable")).toBe(unreachableBefore + 1)
    }))
})
