import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { ReplayStoreMemory } from "../../../src/adapters/storage/memory/ReplayStoreMemory.js"
import { lineDriver } from "../../contracts/drivers/lineDriver.js"
import type { DriverRequest } from "../../contracts/WebhookDriver.js"
import { settingsLayer } from "../../support/Builders.js"
import { startLineApiFake } from "../../e2e/support/LineApiFake.js"
import { allowAll, healthyBackend } from "./harness.js"

/** The contract driver's requests get the statuses it declares (a self-check until the shared suite runs it). */
describe("LINE contract driver", () => {
  it.scopedLive("declared statuses hold, and a message is answered through the platform API", () =>
    Effect.gen(function*() {
      const api = yield* Effect.acquireRelease(Effect.promise(startLineApiFake), (a) => Effect.promise(() => a.close()))
      const backend = healthyBackend()
      const ports = Layer.mergeAll(
        ReplayStoreMemory,
        JobLedgerMemory,
        PlatformHealthMemory,
        allowAll,
        settingsLayer(),
        backend.layer,
        CallbackSignerHmac.layer(Redacted.make("k"))
      )
      const routes = yield* lineDriver.routes({ platformApiRoot: api.url })
      const address = yield* WebhookServer.make({ name: "line", bind: "127.0.0.1", port: 0, routes }).pipe(Effect.provide(ports))
      const send = (r: DriverRequest) =>
        Effect.promise(async () => {
          const res = await fetch(`${address.url}${r.target}`, { method: r.method, headers: r.headers, body: r.body })
          return res.status
        })
      const message = lineDriver.message(1, "/status")
      expect(yield* send(message)).toBe(lineDriver.statuses.ok)
      yield* Effect.promise(() => api.waitFor((c) => c.length === 1))
      expect(yield* send(message)).toBe(lineDriver.statuses.duplicate)
      expect(yield* send(lineDriver.withoutCredential!(lineDriver.message(2, "/status")))).toBe(lineDriver.statuses.missingCredential)
      expect(yield* send(lineDriver.withWrongCredential!(lineDriver.message(3, "/status")))).toBe(lineDriver.statuses.wrongCredential)
      expect(yield* send(lineDriver.stale!(4, "/status"))).toBe(lineDriver.statuses.stale)
      expect(yield* send(lineDriver.undecodable(5))).toBe(lineDriver.statuses.undecodable)
      expect(backend.callsTo("health")).toHaveLength(1)
      expect(api.calls).toHaveLength(1)
    }))
})
