import { HttpLayerRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Either, Layer, Metric } from "effect"
import { createServer } from "node:http"
import { Backend } from "../../ports/Backend.js"
import type { InstallationRegistry } from "../../ports/InstallationRegistry.js"
import { MediaStore } from "../../ports/MediaStore.js"
import { PlatformHealth } from "../../ports/PlatformHealth.js"
import { StoreProbe } from "../../ports/StoreProbe.js"
import { serveMedia } from "../media/MediaRoute.js"
import { normalizeMediaPath } from "../media/MediaResponse.js"
import { type DiagnosticsOptions, diagnosticsRoutes } from "./DiagnosticsRoutes.js"
import { renderPrometheus } from "./OperatorMetrics.js"

/**
 * The operator server (default 127.0.0.1:8093): liveness, readiness and metrics for whoever runs
 * the connector, and the signed media route (`GET`/`HEAD <MEDIA_PATH>/<token>`) when `mediaPath`
 * is given, and the admin diagnostics API (`/openclaw/connector/...`, DiagnosticsApi.ts) when
 * `diagnostics` is given. It never exposes a secret: readiness reasons are fixed words plus the backend's
 * bounded error text, which never contains a URL or token.
 */
export interface OperatorServerOptions {
  readonly bind: string
  readonly port: number
  /** How long readiness waits for the backend's /openclaw/health. */
  readonly backendProbeTimeout?: Duration.DurationInput
  /** OPENCLAW_CONNECTOR_MEDIA_PATH: serve media links here (the server then needs `MediaStore`). */
  readonly mediaPath?: string | undefined
  /** Serve the admin diagnostics API (the server then needs `InstallationRegistry`). */
  readonly diagnostics?: DiagnosticsOptions | undefined
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

/**
 * `GET <mediaPath>/*` (HEAD too: the router answers HEAD with the GET route), with the same
 * semantics as on the webhook servers (MediaRoute.ts `serveMedia`): the raw request target is
 * used, never the router's decoded parameters.
 */
export const operatorMediaRoutes = (mediaPath: string) =>
  HttpLayerRouter.addAll([
    HttpLayerRouter.route(
      "GET",
      // find-my-way reads ":" as a parameter; "::" is a literal colon.
      `${normalizeMediaPath(mediaPath).replaceAll(":", "::")}/*` as HttpLayerRouter.PathInput,
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const store = yield* MediaStore
        const target = request.url // as received (path and query), not decoded
        const q = target.indexOf("?")
        const response = yield* serveMedia(store, mediaPath, q < 0 ? target : target.slice(0, q), q < 0 ? "" : target.slice(q + 1))
        const { "content-type": contentType, ...headers } = response.headers
        return typeof response.body === "string"
          ? HttpServerResponse.text(response.body, { status: response.status, headers, contentType })
          : HttpServerResponse.uint8Array(response.body, { status: response.status, headers, contentType })
      })
    )
  ])

const serveOptions = { disableLogger: true, disableListenLog: true } as const

const nodeServer = (options: OperatorServerOptions) =>
  NodeHttpServer.layer(() => createServer(), { host: options.bind, port: options.port })

/** Every route the options turn on, served on one node server; absent optional routes are `Layer.empty`. */
const operatorServer = (options: OperatorServerOptions) =>
  HttpLayerRouter.serve(
    Layer.mergeAll(
      operatorRoutes(options),
      options.mediaPath === undefined ? Layer.empty : operatorMediaRoutes(options.mediaPath),
      options.diagnostics === undefined ? Layer.empty : diagnosticsRoutes(options.diagnostics)
    ),
    serveOptions
  ).pipe(Layer.provide(nodeServer(options)))

type OperatorServerLayer = ReturnType<typeof operatorServer>

/**
 * What the server needs from the app: always Backend, StoreProbe and PlatformHealth, plus the
 * ports of the optional routes that `O` turns on. (`bind` is in each test so the object types
 * are not "weak", which would make every options object fail the `extends`.)
 */
export type OperatorServerRequirements<O extends OperatorServerOptions> =
  | Exclude<Layer.Layer.Context<OperatorServerLayer>, MediaStore | InstallationRegistry>
  | (O extends { readonly bind: string; readonly mediaPath?: undefined } ? never : MediaStore)
  | (O extends { readonly bind: string; readonly diagnostics?: undefined } ? never : InstallationRegistry)

/**
 * The operator server as a Layer; it needs the Backend, StoreProbe and PlatformHealth ports from
 * the app, MediaStore when `mediaPath` is given and InstallationRegistry when `diagnostics` is.
 */
export const OperatorServerLive = <const O extends OperatorServerOptions>(
  options: O
): Layer.Layer<never, Layer.Layer.Error<OperatorServerLayer>, OperatorServerRequirements<O>> =>
  // The composed layer names every optional port; `O` rules out those whose routes are absent.
  operatorServer(options) as Layer.Layer<never, Layer.Layer.Error<OperatorServerLayer>, OperatorServerRequirements<O>>
