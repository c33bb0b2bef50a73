import { HttpLayerRouter, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Either, Layer, Metric } from "effect"
import { createServer } from "node:http"
import { Backend } from "../../ports/Backend.js"
import { PlatformHealth } from "../../ports/PlatformHealth.js"
import { StoreProbe } from "../../ports/StoreProbe.js"
import { renderPrometheus } from "./OperatorMetrics.js"

/**
 * The operator server (default 127.0.0.1:8093): liveness, readiness and metrics for whoever runs
 * the connector. It never exposes a secret: readiness reasons are fixed words plus the backend's
 * bounded error text, which never contains a URL or token.
 */
export interface OperatorServerOptions {
  readonly bind: string
  readonly port: number
  /** How long readiness waits for the backend's /openclaw/health. */
  readonly backendProbeTimeout?: Duration.DurationInput
}

const json = (status: number, body: unknown) =>
  HttpServerResponse.unsafeJson(body, { status, headers: { "cache-control": "no-store" } })

interface Check {
  readonly ok: boolean
  readonly reason?: string
}

const storeCheck = Effect.gen(function*() {
  const { probe } = yield* StoreProbe
  const result = yield* Effect.either(probe)
  return Either.match(result, {
    onLeft: (e): Check => ({ ok: false, reason: `store ${e.reason} (${e.operation})` }),
    onRight: (): Check => ({ ok: true })
  })
})

const backendCheck = (timeout: Duration.DurationInput) =>
  Effect.gen(function*() {
    const backend = yield* Backend
    const result = yield* Effect.either(backend.health.pipe(Effect.timeoutOption(timeout)))
    if (Either.isLeft(result)) return { ok: false, reason: `backend ${result.left.reason}: ${result.left.message}` } as Check
    if (result.right._tag === "None") return { ok: false, reason: "backend timed out" } as Check
    return { ok: true } as Check
  })

/**
 * GET /readyz: 200 when the store is usable and the backend answers its health check, else 503.
 * Platform installations are listed with their last seen health for the operator; a revoked
 * token is shown, not made a readiness failure (the other platforms keep serving).
 */
export const readiness = (timeout: Duration.DurationInput) =>
  Effect.gen(function*() {
    const [store, backend] = yield* Effect.all([storeCheck, backendCheck(timeout)], { concurrency: 2 })
    const platforms = yield* Effect.flatMap(PlatformHealth, (health) => health.snapshot)
    const ready = store.ok && backend.ok
    return { status: ready ? 200 : 503, body: { ready, checks: { store, backend }, platforms } }
  })

export const operatorRoutes = (options: OperatorServerOptions) =>
  HttpLayerRouter.addAll([
    HttpLayerRouter.route("GET", "/healthz", Effect.succeed(json(200, { status: "ok" }))),
    HttpLayerRouter.route(
      "GET",
      "/readyz",
      Effect.map(readiness(options.backendProbeTimeout ?? "3 seconds"), ({ status, body }) => json(status, body))
    ),
    HttpLayerRouter.route(
      "GET",
      "/metrics",
      Effect.map(Metric.snapshot, (pairs) =>
        HttpServerResponse.text(renderPrometheus(pairs), { contentType: "text/plain; version=0.0.4; charset=utf-8" }))
    )
  ])

/** The operator server as a Layer; it needs the Backend, StoreProbe and PlatformHealth ports from the app. */
export const OperatorServerLive = (options: OperatorServerOptions) =>
  HttpLayerRouter.serve(operatorRoutes(options), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provide(NodeHttpServer.layer(() => createServer(), { host: options.bind, port: options.port }))
  )
