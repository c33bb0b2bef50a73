import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Option, Redacted } from "effect"
import { BackendHttp, type BackendHttpOptions } from "../../../src/adapters/backend/BackendHttp.js"
import { Backend } from "../../../src/ports/Backend.js"

export const ADMIN_TOKEN = "s3cret-admin-token"

/** The HTTP adapter over a real undici client, pointed at `baseUrl`. */
export const backendLayer = (baseUrl: string, overrides: Partial<BackendHttpOptions> = {}) =>
  BackendHttp.layer({ baseUrl, adminToken: Option.some(Redacted.make(ADMIN_TOKEN)), ...overrides }).pipe(
    Layer.provide(NodeHttpClient.layerUndici)
  )

/** Run `f` against the adapter (a fresh layer per call). */
export const withBackend = <A, E>(
  baseUrl: string,
  f: (backend: Backend["Type"]) => Effect.Effect<A, E>,
  overrides: Partial<BackendHttpOptions> = {}
) => Effect.flatMap(Backend, f).pipe(Effect.provide(backendLayer(baseUrl, overrides)))
