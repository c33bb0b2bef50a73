import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { Effect, Exit, Layer, ManagedRuntime, Option, Redacted, Scope } from "effect"
import { BackendHttp } from "../../src/adapters/backend/BackendHttp.js"
import { CallbackSignerHmac } from "../../src/adapters/crypto/CallbackSignerHmac.js"
import { WebhookServer } from "../../src/adapters/http/WebhookServer.js"
import { MemoryStorage } from "../../src/adapters/storage/memory/MemoryStorage.js"
import { PlatformHealthMemory } from "../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { RateLimiterMemory } from "../../src/adapters/storage/memory/RateLimiterMemory.js"
import { settingsLayer } from "../support/Builders.js"
import { type FakeBackend, startFakeBackend } from "../support/FakeBackend.js"
import type { DriverRequest, WebhookDriver } from "./WebhookDriver.js"
import type { WebhookServices } from "../../src/adapters/http/WebhookServices.js"

/** Everything a webhook route may need; the contract harness provides all of it. */
export type WebhookContractServices = WebhookServices

export const CONTRACT_ADMIN_TOKEN = "contract-admin-token"

export interface PlatformCall {
  readonly method: string
  readonly path: string
  readonly body: string
}

export interface WebhookHarness {
  readonly backend: FakeBackend
  /** Outbound calls the routes made to the platform's API, in order. */
  readonly platformCalls: Array<PlatformCall>
  readonly send: (request: DriverRequest) => Promise<{ readonly status: number; readonly body: string }>
  readonly close: () => Promise<void>
}

const startPlatformFake = async (driver: WebhookDriver, calls: Array<PlatformCall>) => {
  const server: Server = createServer((req, res) => {
    let body = ""
    req.on("data", (c) => (body += c))
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!
      calls.push({ method: req.method ?? "", path, body })
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(driver.platformAnswer?.(path) ?? {}))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/**
 * Serves `driver`'s routes in-process on 127.0.0.1 (port 0) with memory storage, the real HTTP
 * backend client against a fake backend, open rate limits, a callback signer and platform health.
 */
export const startWebhookHarness = async (driver: WebhookDriver): Promise<WebhookHarness> => {
  const backend = await startFakeBackend({ adminToken: CONTRACT_ADMIN_TOKEN })
  const platformCalls: Array<PlatformCall> = []
  const platform = await startPlatformFake(driver, platformCalls)
  const SettingsLive = settingsLayer()
  const services = Layer.mergeAll(
    MemoryStorage,
    BackendHttp.layer({ baseUrl: backend.url, adminToken: Option.some(Redacted.make(CONTRACT_ADMIN_TOKEN)) }).pipe(
      Layer.provide(NodeHttpClient.layerUndici)
    ),
    SettingsLive,
    RateLimiterMemory.pipe(Layer.provide(SettingsLive)),
    CallbackSignerHmac.layer(Redacted.make("contract-callback-key")),
    PlatformHealthMemory
  )
  const runtime = ManagedRuntime.make(services)
  const scope = await Effect.runPromise(Scope.make())
  const address = await runtime.runPromise(
    Effect.gen(function*() {
      const routes = yield* driver.routes({ platformApiRoot: platform.url })
      return yield* WebhookServer.make({ name: driver.platform, bind: "127.0.0.1", port: 0, routes, shutdownGraceMillis: 2_000 })
    }).pipe(Scope.extend(scope))
  )
  return {
    backend,
    platformCalls,
    send: async (request) => {
      const res = await fetch(`${address.url}${request.target}`, {
        method: request.method,
        headers: request.headers,
        ...(request.method === "POST" ? { body: request.body } : {})
      })
      return { status: res.status, body: await res.text() }
    },
    close: async () => {
      await runtime.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
      await new Promise((resolve) => platform.server.close(resolve))
      await backend.close()
    }
  }
}
