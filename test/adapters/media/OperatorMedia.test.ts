import { mkdtempSync, rmSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpLayerRouter } from "@effect/platform"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { OperatorServerLive, operatorMediaRoutes, operatorRoutes } from "../../../src/adapters/http/OperatorServer.js"
import { MediaStoreFile } from "../../../src/adapters/media/MediaStoreFile.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { Backend } from "../../../src/ports/Backend.js"
import { MediaStore } from "../../../src/ports/MediaStore.js"
import { StoreProbe } from "../../../src/ports/StoreProbe.js"
import { freePort } from "../../support/LocalHttp.js"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "operator-media-"))
  dirs.push(dir)
  return dir
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const PUBLIC = "https://public.example"
const ports = Layer.mergeAll(
  Layer.mock(Backend, { health: Effect.succeed({ ok: true }) }),
  Layer.succeed(StoreProbe, { probe: Effect.void }),
  PlatformHealthMemory
)
const storeLayer = () =>
  MediaStoreFile.layer({
    dir: tempDir(),
    ttlSec: 300,
    maxBytes: 1 << 20,
    mediaPath: "/media",
    publicBaseUrl: Option.some(PUBLIC),
    signingKey: Redacted.make(new Uint8Array(32).fill(4))
  })


/** A request with the target sent exactly as given (no URL normalisation). */
const raw = (port: number, target: string, method = "GET") =>
  Effect.async<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resume) => {
    const req = request({ host: "127.0.0.1", port, path: target, method, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    req.end()
  })

describe("media route on the operator server", () => {
  it.scopedLive("serves media links next to /healthz with the webhook servers' semantics; HEAD works", () =>
    Effect.gen(function*() {
      const store = yield* MediaStore
      const port = yield* freePort
      // Built in the test's scope: listening once built, closed with the scope.
      yield* Layer.build(
        OperatorServerLive({ bind: "127.0.0.1", port, mediaPath: "/media" }).pipe(
          Layer.provide(Layer.merge(ports, Layer.succeed(MediaStore, store)))
        )
      )
      const stored = yield* store.put({ bytes: new Uint8Array([1, 2, 3]), contentType: "image/jpeg", filename: "a.jpg" })
      const target = stored.url.slice(PUBLIC.length)
      const ok = yield* raw(port, target)
      expect([ok.status, Array.from(ok.body)]).toEqual([200, [1, 2, 3]])
      expect(ok.headers["content-type"]).toBe("image/jpeg")
      expect(ok.headers["x-content-type-options"]).toBe("nosniff")
      expect(ok.headers["content-disposition"]).toBe('inline; filename="a.jpg"')
      expect(String(ok.headers["cache-control"])).toMatch(/^private, max-age=\d+$/)
      const head = yield* raw(port, target, "HEAD")
      expect([head.status, head.body.length, head.headers["content-type"]]).toEqual([200, 0, "image/jpeg"])
      for (const bad of [`${target}x`, `/media/..${target}`, "/media/%2e%2e/connector.sqlite", "/media/x/../../healthz"]) {
        const res = yield* raw(port, bad)
        expect([res.status, res.body.toString("utf8")]).toEqual([404, "Media Not Found or Expired"])
      }
      expect((yield* raw(port, "/healthz")).status).toBe(200)
    }).pipe(Effect.provide(Layer.suspend(storeLayer))))

  it.scopedLive("the routes compose with the existing operator routes (web handler)", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(storeLayer())
      const store = Context.get(context, MediaStore)
      const { handler, dispose } = HttpLayerRouter.toWebHandler(
        Layer.mergeAll(operatorRoutes({ bind: "127.0.0.1", port: 0 }), operatorMediaRoutes("/media/"), ports, Layer.succeedContext(context)),
        { disableLogger: true }
      )
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      const stored = yield* store.put({ bytes: new Uint8Array([9]), contentType: "image/svg+xml", filename: "x.svg" })
      const res = yield* Effect.promise(() => handler(new Request(stored.url.replace(PUBLIC, "http://127.0.0.1"))))
      expect(res.status).toBe(200)
      expect(res.headers.get("content-type")).toBe("application/octet-stream")
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="x.svg"')
      const bad = yield* Effect.promise(() => handler(new Request("http://127.0.0.1/media/nope")))
      expect([bad.status, yield* Effect.promise(() => bad.text())]).toEqual([404, "Media Not Found or Expired"])
      const health = yield* Effect.promise(() => handler(new Request("http://127.0.0.1/healthz")))
      expect(health.status).toBe(200)
    }))
})
