import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { RawRequest } from "../../../src/adapters/http/WebhookServer.js"
import type { DriverRequest } from "../../contracts/WebhookDriver.js"
import { whatsappDriver as driver } from "../../contracts/drivers/whatsappDriver.js"
import { setup } from "./harness.js"

/** The contract driver's requests get the statuses it declares from the real routes. */
const toRaw = (request: DriverRequest): RawRequest => {
  const q = request.target.indexOf("?")
  return {
    method: request.method,
    path: q < 0 ? request.target : request.target.slice(0, q),
    query: new URLSearchParams(q < 0 ? "" : request.target.slice(q + 1)),
    headers: request.headers,
    body: Buffer.from(request.body),
    remoteAddress: "127.0.0.1"
  }
}

describe("whatsappDriver", () => {
  it.scopedLive("its deliveries get the declared statuses; a message is answered through the platform API", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const routes = yield* driver.routes({ platformApiRoot: h.graph.url })
      const post = routes.find((r) => r.method === "POST")!
      const deliver = (request: DriverRequest) =>
        Effect.gen(function*() {
          const response = yield* post.handle(toRaw(request))
          if (response.after) yield* response.after
          return response.status
        }).pipe(Effect.provide(h.context))

      const message = driver.message(1, "/help")
      expect(yield* deliver(message)).toBe(driver.statuses.ok)
      expect(h.graph.calls.map((c) => c.body.to)).toEqual(["15550001"])
      expect(yield* deliver(message)).toBe(driver.statuses.duplicate)
      expect(yield* deliver(driver.withoutCredential!(driver.message(2, "/help")))).toBe(driver.statuses.missingCredential)
      expect(yield* deliver(driver.withWrongCredential!(driver.message(3, "/help")))).toBe(driver.statuses.wrongCredential)
      expect(yield* deliver(driver.stale!(4, "/help"))).toBe(driver.statuses.stale)
      expect(yield* deliver(driver.undecodable(5))).toBe(driver.statuses.undecodable)
      expect(h.graph.calls).toHaveLength(1)
      expect(h.probe.claims).toHaveLength(2)
    }))
})
