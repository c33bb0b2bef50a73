import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Logger, Ref, Scope } from "effect"
import {
  type RawRequest,
  type WebhookRoute,
  WebhookServer
} from "../../../src/adapters/http/WebhookServer.js"
import { send } from "./client.js"
import { freePort } from "../../support/LocalHttp.js"

const echo: WebhookRoute<never> = {
  method: "POST",
  path: "/hook",
  handle: (req: RawRequest) =>
    Effect.succeed({
      status: 200,
      headers: { "Content-Type": "application/json; charset=utf-8", "x-probe": "1" },
      body: JSON.stringify({ bytes: req.body.length, q: req.query.get("q"), method: req.method, path: req.path })
    })
}
const status: WebhookRoute<never> = { method: "GET", path: "/status", handle: () => Effect.succeed({ status: 200, body: "ok" }) }
const boom: WebhookRoute<never> = { method: "POST", path: "/boom", handle: () => Effect.die(new Error("bug")) }

const start = (routes: ReadonlyArray<WebhookRoute<never>>, extra: { maxBodyBytes?: number; shutdownGraceMillis?: number } = {}) =>
  WebhookServer.make({ name: "test", bind: "127.0.0.1", port: 0, routes, ...extra })


describe("WebhookServer", () => {
  it.scopedLive("serves a route with the raw body, query and headers; port 0 yields the bound port", () =>
    Effect.gen(function*() {
      const address = yield* start([echo])
      expect(address.port).toBeGreaterThan(0)
      expect(address.url).toBe(`http://127.0.0.1:${address.port}`)
      const res = yield* send(`${address.url}/hook?q=x%20y`, { body: Buffer.from([0xff, 0x00, 0x41]) })
      expect(res.status).toBe(200)
      expect(res.headers["content-type"]).toBe("application/json; charset=utf-8")
      expect(res.headers["x-probe"]).toBe("1")
      expect(JSON.parse(res.text)).toEqual({ bytes: 3, q: "x y", method: "POST", path: "/hook" })
    }))

  it.scopedLive("404 for an unknown path, 405 with Allow for a wrong method, HEAD on a GET route", () =>
    Effect.gen(function*() {
      const { url } = yield* start([echo, status])
      const missing = yield* send(`${url}/nope`, { body: "{}" })
      expect([missing.status, missing.text]).toEqual([404, "404: Not Found"])
      expect(missing.headers["content-type"]).toBe("text/plain; charset=utf-8")
      const trailing = yield* send(`${url}/hook/`, { body: "{}" })
      expect(trailing.status).toBe(404)
      const wrong = yield* send(`${url}/hook`, { method: "GET" })
      expect(wrong.status).toBe(405)
      expect(wrong.headers["allow"]).toBe("POST")
      const head = yield* send(`${url}/status`, { method: "HEAD" })
      expect([head.status, head.text]).toEqual([200, ""])
      const get = yield* send(`${url}/status`, { method: "GET" })
      expect([get.status, get.text]).toEqual([200, "ok"])
    }))

  it.scopedLive("prefix routes take paths below their path only; exact routes win", () =>
    Effect.gen(function*() {
      const media: WebhookRoute<never> = {
        method: "GET",
        path: "/media",
        match: "prefix",
        handle: (req) => Effect.succeed({ status: 200, body: `media:${req.path}` })
      }
      const exact: WebhookRoute<never> = { method: "GET", path: "/media/fixed", handle: () => Effect.succeed({ status: 200, body: "exact" }) }
      const { url } = yield* start([echo, media, exact])
      expect((yield* send(`${url}/media/abc?sig=1`, { method: "GET" })).text).toBe("media:/media/abc")
      expect((yield* send(`${url}/media/fixed`, { method: "GET" })).text).toBe("exact")
      expect((yield* send(`${url}/mediax/abc`, { method: "GET" })).status).toBe(404)
      expect((yield* send(`${url}/media/abc`, { body: "{}" })).status).toBe(405)
      expect((yield* send(`${url}/hook`, { body: "{}" })).status).toBe(200)
    }))

  it.scopedLive("413 before the handler for a declared or streamed body over the cap; still serving after", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const counting: WebhookRoute<never> = { ...echo, handle: (req) => Effect.zipRight(Ref.update(calls, (n) => n + 1), echo.handle(req)) }
      const { url } = yield* start([counting], { maxBodyBytes: 1024 * 1024 })
      const big = new Uint8Array(2 * 1024 * 1024)
      const declared = yield* send(`${url}/hook`, { body: big })
      expect(declared.status).toBe(413)
      expect(declared.headers["connection"]).toBe("close")
      const streamed = yield* send(`${url}/hook`, { body: big, chunked: true })
      expect(streamed.status).toBe(413)
      expect(yield* Ref.get(calls)).toBe(0)
      const atCap = yield* send(`${url}/hook`, { body: new Uint8Array(1024 * 1024) })
      expect(atCap.status).toBe(200)
      expect(JSON.parse(atCap.text).bytes).toBe(1024 * 1024)
      expect(yield* Ref.get(calls)).toBe(1)
    }))

  it.scopedLive("a handler defect gets a fixed 500 and the server keeps serving", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => void logs.push(`${logLevel.label} ${String(message)}`))
      const { url } = yield* start([echo, boom]).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      const res = yield* send(`${url}/boom`, { body: "x" })
      expect([res.status, res.text]).toEqual([500, "500 Internal Server Error\n\nServer got itself in trouble"])
      expect(logs.some((l) => l.startsWith("ERROR") && l.includes("webhook handler defect") && l.includes("bug"))).toBe(true)
      const next = yield* send(`${url}/hook`, { body: "x" })
      expect(next.status).toBe(200)
    }))

  it.scopedLive("a port already in use fails with a typed error naming bind:port", () =>
    Effect.gen(function*() {
      const { port } = yield* start([echo])
      const again = yield* Effect.flip(
        WebhookServer.make({ name: "dup", bind: "127.0.0.1", port, routes: [echo] }).pipe(Effect.scoped)
      )
      expect(again._tag).toBe("WebhookServerError")
      expect(again.reason).toBe("listen-failed")
      expect(again.address).toBe(`127.0.0.1:${port}`)
      expect(again.message).toContain(`127.0.0.1:${port}`)
    }))

  it.live("layer: listens while alive, stops when released", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(WebhookServer.layer({ name: "layer", bind: "127.0.0.1", port, routes: [status] }), scope)
      const res = yield* send(`http://127.0.0.1:${port}/status`, { method: "GET" })
      expect(res.status).toBe(200)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.either(send(`http://127.0.0.1:${port}/status`, { method: "GET" }))
      expect(after._tag).toBe("Left")
    }))

  it.live("shutdown waits for in-flight `after` work to finish", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const result = yield* Ref.make("none")
      const slow: WebhookRoute<never> = {
        method: "POST",
        path: "/slow",
        handle: () =>
          Effect.succeed({
            status: 202,
            body: "accepted",
            after: Effect.gen(function*() {
              yield* Deferred.succeed(started, undefined)
              yield* Deferred.await(gate)
              yield* Ref.set(result, "done")
            }).pipe(Effect.onInterrupt(() => Ref.set(result, "interrupted")))
          })
      }
      const scope = yield* Scope.make()
      const { url } = yield* start([slow]).pipe(Effect.provideService(Scope.Scope, scope))
      expect((yield* send(`${url}/slow`, { body: "" })).status).toBe(202)
      yield* Deferred.await(started)
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(closing)
      expect(yield* Ref.get(result)).toBe("done")
    }))

  it.live("shutdown interrupts `after` work that outlives the grace period", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const result = yield* Ref.make("none")
      const stuck: WebhookRoute<never> = {
        method: "POST",
        path: "/stuck",
        handle: () =>
          Effect.succeed({
            status: 202,
            body: "accepted",
            after: Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
              Effect.onInterrupt(() => Ref.set(result, "interrupted"))
            )
          })
      }
      const scope = yield* Scope.make()
      const { url } = yield* start([stuck], { shutdownGraceMillis: 20 }).pipe(Effect.provideService(Scope.Scope, scope))
      expect((yield* send(`${url}/stuck`, { body: "" })).status).toBe(202)
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      expect(yield* Ref.get(result)).toBe("interrupted")
    }))

  it.live("a shutdown that interrupts the work behind an answer runs the response's abandon", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const abandoned = yield* Ref.make(0)
      const held: WebhookRoute<never> = {
        method: "POST",
        path: "/held",
        handle: () =>
          Effect.succeed({
            status: 200,
            body: "OK",
            after: Effect.zipRight(Deferred.succeed(started, undefined), Effect.never),
            abandon: Ref.update(abandoned, (n) => n + 1)
          })
      }
      const scope = yield* Scope.make()
      const { url } = yield* start([held], { shutdownGraceMillis: 20 }).pipe(Effect.provideService(Scope.Scope, scope))
      expect((yield* send(`${url}/held`, { body: "" })).status).toBe(200)
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      expect(yield* Ref.get(abandoned)).toBe(1)
    }))
})
