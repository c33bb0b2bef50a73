import { HttpLayerRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Option } from "effect"
import { DIAGNOSTICS_PREFIXES, type DiagnosticsOptions, makeDiagnosticsHandler } from "./DiagnosticsApi.js"

export type { DiagnosticsOptions } from "./DiagnosticsApi.js"

/**
 * The admin diagnostics API mounted on the operator server: `GET <prefix>/connector/*` for each
 * of `/openclaw`, `/moltbot`, `/api/openclaw`, `/api/moltbot` (HEAD is answered by the router
 * from GET). The handler gets the raw request target, never the router's decoded parameters,
 * and needs the `InstallationRegistry` port.
 */
export const diagnosticsRoutes = (options: DiagnosticsOptions) =>
  HttpLayerRouter.addAll(
    Effect.map(makeDiagnosticsHandler(options), (handle) =>
      DIAGNOSTICS_PREFIXES.map((prefix) =>
        HttpLayerRouter.route(
          "GET",
          `${prefix}/connector/*`,
          Effect.gen(function*() {
            const request = yield* HttpServerRequest.HttpServerRequest
            const response = yield* handle({
              target: request.url,
              header: (name) => request.headers[name],
              client: Option.getOrElse(request.remoteAddress, () => "unknown")
            })
            return HttpServerResponse.unsafeJson(response.body, {
              status: response.status,
              headers: { "cache-control": "no-store", "x-content-type-options": "nosniff", ...response.headers }
            })
          })
        )
      ))
  )
