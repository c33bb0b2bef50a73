import { HttpLayerRouter } from "@effect/platform"
import { Effect, Layer, Metric, MetricBoundaries } from "effect"
import { describe, expect, it } from "vitest"
import { operatorRoutes } from "../../../src/adapters/http/OperatorServer.js"
import { renderPrometheus } from "../../../src/adapters/http/OperatorMetrics.js"
import { Backend, BackendError } from "../../../src/ports/Backend.js"
import { StoreError } from "../../../src/ports/StoreError.js"
import { StoreProbe } from "../../../src/ports/StoreProbe.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"

const backendUp = Layer.mock(Backend, { health: Effect.succeed({ ok: true }) })
const backendDown = Layer.mock(Backend, {
  health: Effect.fail(new BackendError({ reason: "unreachable", message: "backend unreachable" }))
})
const backendHangs = Layer.mock(Backend, { health: Effect.never })
const storeOk = Layer.succeed(StoreProbe, { probe: Effect.void })
const storeBroken = Layer.succeed(StoreProbe, {
  probe: Effect.fail(new StoreError({ reason: "unavailable", operation: "probe" }))
})

const serve = (ports: Layer.Layer<Backend | StoreProbe | PlatformHealth>) =>
  HttpLayerRouter.toWebHandler(
    Layer.mergeAll(operatorRoutes({ bind: "127.0.0.1", port: 0, backendProbeTimeout: "50 millis" }), ports),
    { disableLogger: true }
  )

const get = async (ports: Layer.Layer<Backend | StoreProbe>, path: string) => {
  const { handler, dispose } = serve(Layer.merge(ports, PlatformHealthMemory))
  try {
    const res = await handler(new Request(`http://127.0.0.1${path}`))
    return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() }
  } finally {
    await dispose()
  }
}

describe("operator server", () => {
  it("/healthz says the process is up even when nothing else is", async () => {
    const res = await get(Layer.merge(backendDown, storeBroken), "/healthz")
    expect(res.status).toBe(200)
    expect(JSON.parse(res.text)).toEqual({ status: "ok" })
  })

  it("/readyz is 200 when the store and the backend both answer", async () => {
    const res = await get(Layer.merge(backendUp, storeOk), "/readyz")
    expect(res.status).toBe(200)
    expect(JSON.parse(res.text)).toEqual({ ready: true, checks: { store: { ok: true }, backend: { ok: true } }, platforms: [] })
  })

  it("/readyz lists platform health without failing readiness on a revoked installation", async () => {
    const revoked = Layer.effect(
      PlatformHealth,
      Effect.gen(function*() {
        const health = yield* PlatformHealth
        yield* health.record("line", "", "invalid_token", "HTTP 401")
        return health
      })
    ).pipe(Layer.provide(PlatformHealthMemory))
    const { handler, dispose } = serve(Layer.mergeAll(backendUp, storeOk, revoked))
    try {
      const res = await handler(new Request("http://127.0.0.1/readyz"))
      expect(res.status).toBe(200)
      const body = await res.json() as { platforms: Array<Record<string, unknown>> }
      expect(body.platforms).toHaveLength(1)
      expect(body.platforms[0]).toMatchObject({ platform: "line", installation: "", state: "invalid_token", detail: "HTTP 401" })
    } finally {
      await dispose()
    }
  })

  it("/readyz is 503 with the reason when the store fails", async () => {
    const res = await get(Layer.merge(backendUp, storeBroken), "/readyz")
    expect(res.status).toBe(503)
    const body = JSON.parse(res.text)
    expect(body.ready).toBe(false)
    expect(body.checks.store).toEqual({ ok: false, reason: "store unavailable (probe)" })
    expect(body.checks.backend).toEqual({ ok: true })
  })

  it("/readyz is 503 when the backend is unreachable or does not answer in time", async () => {
    const down = JSON.parse((await get(Layer.merge(backendDown, storeOk), "/readyz")).text)
    expect(down.checks.backend).toEqual({ ok: false, reason: "backend unreachable: backend unreachable" })
    const hung = await get(Layer.merge(backendHangs, storeOk), "/readyz")
    expect(hung.status).toBe(503)
    expect(JSON.parse(hung.text).checks.backend).toEqual({ ok: false, reason: "backend timed out" })
  })

  it("/metrics serves Prometheus text with the recorded values", async () => {
    const c = Metric.counter("test_operator_requests_total", { description: "test counter", incremental: true })
    await Effect.runPromise(Metric.increment(Metric.tagged(Metric.tagged(c, "platform", "kakao"), "outcome", "handled")))
    const res = await get(Layer.merge(backendUp, storeOk), "/metrics")
    expect(res.status).toBe(200)
    expect(res.type).toContain("text/plain; version=0.0.4")
    expect(res.text).toContain("# TYPE test_operator_requests_total counter")
    expect(res.text).toContain('test_operator_requests_total{platform="kakao",outcome="handled"} 1')
  })
})

describe("Prometheus rendering", () => {
  it("renders histograms with cumulative buckets, +Inf, sum and count", async () => {
    const hist = Metric.tagged(
      Metric.histogram("test_render_latency_seconds", MetricBoundaries.fromIterable([0.1, 1])),
      "operation",
      "health"
    )
    await Effect.runPromise(Effect.all([Metric.update(hist, 0.05), Metric.update(hist, 0.5), Metric.update(hist, 5)]))
    const text = renderPrometheus(await Effect.runPromise(Metric.snapshot))
    expect(text).toContain("# TYPE test_render_latency_seconds histogram")
    expect(text).toContain('test_render_latency_seconds_bucket{operation="health",le="0.1"} 1')
    expect(text).toContain('test_render_latency_seconds_bucket{operation="health",le="1"} 2')
    expect(text).toContain('test_render_latency_seconds_bucket{operation="health",le="+Inf"} 3')
    expect(text).toContain('test_render_latency_seconds_count{operation="health"} 3')
    expect(text).toContain('test_render_latency_seconds_sum{operation="health"} 5.55')
  })

  it("escapes label values so a hostile value cannot forge a sample line", async () => {
    const c = Metric.tagged(Metric.counter("test_escape_total", { incremental: true }), "who", 'a"b\\c\nd')
    await Effect.runPromise(Metric.increment(c))
    const text = renderPrometheus(await Effect.runPromise(Metric.snapshot))
    expect(text).toContain('test_escape_total{who="a\\"b\\\\c\\nd"} 1')
  })
})
