import { mkdtempSync, rmSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { OperatorServerLive } from "../../../src/adapters/http/OperatorServer.js"
import { MediaStoreFile } from "../../../src/adapters/media/MediaStoreFile.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { Backend } from "../../../src/ports/Backend.js"
import { MediaStore } from "../../../src/ports/MediaStore.js"
import { StoreProbe } from "../../../src/ports/StoreProbe.js"
import { ADMIN_TOKEN, singleTenant } from "./client.js"
import { makeSeededRegistry, populated } from "./SeededRegistry.js"
import { freePort } from "../../support/LocalHttp.js"

const dirs: Array<string> = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const ports = Layer.mergeAll(
  Layer.mock(Backend, { health: Effect.succeed({ ok: true }) }),
  Layer.succeed(StoreProbe, { probe: Effect.void }),
  PlatformHealthMemory
)


const get = (port: number, target: string, headers: Record<string, string> = {}) =>
  Effect.async<{ status: number; body: string; headers: Record<string, unknown> }>((resume) => {
    const req = request({ host: "127.0.0.1", port, path: target, method: "GET", headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    req.end()
  })

const diagnostics = { adminToken: Option.some(Redacted.make(ADMIN_TOKEN)), tenancy: singleTenant }

describe("diagnostics on the operator server", () => {
  it.scopedLive("OperatorServerLive({diagnostics}) serves the API next to /healthz over real HTTP", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* Layer.build(
        OperatorServerLive({ bind: "127.0.0.1", port, diagnostics: { ...diagnostics, rateLimit: { capacity: 5, refillPerSecond: 0 } } }).pipe(
          Layer.provide(Layer.merge(ports, makeSeededRegistry(populated).layer))
        )
      )
      const ok = yield* get(port, "/openclaw/connector/installations/slack:T1", { "X-OpenClaw-Admin-Token": ADMIN_TOKEN })
      expect(ok.status).toBe(200)
      expect(ok.headers["content-type"]).toContain("application/json")
      expect(ok.headers["cache-control"]).toBe("no-store")
      expect(JSON.parse(ok.body).installation.token_refs).toEqual({ bot_token: "connector_installation:slack:T1:bot_token" })
      expect(ok.body).not.toContain("xoxb-first-secret-value")
      const denied = yield* get(port, "/openclaw/connector/installations", { "X-OpenClaw-Admin-Token": "nope" })
      expect([denied.status, JSON.parse(denied.body)]).toEqual([403, { ok: false, error: "Invalid admin token." }])
      expect((yield* get(port, "/healthz")).status).toBe(200)
      // The budget is per peer address (127.0.0.1 here): 5 requests, then 429.
      for (let i = 0; i < 3; i++) yield* get(port, "/openclaw/connector/extraction-contract", { "X-OpenClaw-Admin-Token": ADMIN_TOKEN })
      expect((yield* get(port, "/openclaw/connector/extraction-contract", { "X-OpenClaw-Admin-Token": ADMIN_TOKEN })).status).toBe(429)
    }))

  it.scopedLive("with media and diagnostics together, both route sets answer", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const dir = mkdtempSync(join(tmpdir(), "operator-diag-"))
      dirs.push(dir)
      const media = MediaStoreFile.layer({
        dir,
        ttlSec: 300,
        maxBytes: 1 << 20,
        mediaPath: "/media",
        publicBaseUrl: Option.some("https://public.example"),
        signingKey: Redacted.make(new Uint8Array(32).fill(7))
      })
      const context = yield* Layer.build(Layer.mergeAll(ports, media, makeSeededRegistry(populated).layer))
      yield* Layer.build(OperatorServerLive({ bind: "127.0.0.1", port, mediaPath: "/media", diagnostics }).pipe(Layer.provide(Layer.succeedContext(context))))
      const store = yield* Effect.provide(MediaStore, Layer.succeedContext(context))
      const stored = yield* store.put({ bytes: new Uint8Array([5]), contentType: "image/png", filename: "a.png" })
      expect((yield* get(port, stored.url.slice("https://public.example".length))).status).toBe(200)
      const contract = yield* get(port, "/api/openclaw/connector/extraction-contract", { "X-OpenClaw-Admin-Token": ADMIN_TOKEN })
      expect([contract.status, JSON.parse(contract.body).contract.version]).toEqual([200, 1])
    }))
})
