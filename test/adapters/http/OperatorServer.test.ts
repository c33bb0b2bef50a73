import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { OperatorServerLive, type OperatorServerOptions } from "../../../src/adapters/http/OperatorServer.js"
import { MediaStoreFile } from "../../../src/adapters/media/MediaStoreFile.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { Backend } from "../../../src/ports/Backend.js"
import { MediaStore } from "../../../src/ports/MediaStore.js"
import type { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { StoreProbe } from "../../../src/ports/StoreProbe.js"
import { ADMIN_TOKEN, singleTenant } from "../diagnostics/client.js"
import { makeSeededRegistry, populated } from "../diagnostics/SeededRegistry.js"
import { freePort } from "../../support/LocalHttp.js"

/** One operator server composition: the optional route sets answer exactly when configured. */
const dirs: Array<string> = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const base = Layer.mergeAll(
  Layer.mock(Backend, { health: Effect.succeed({ ok: true }) }),
  Layer.succeed(StoreProbe, { probe: Effect.void }),
  PlatformHealthMemory
)


const status = (port: number, path: string) =>
  Effect.promise(async () => (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-openclaw-admin-token": ADMIN_TOKEN } })).status)

const mediaLayer = () => {
  const dir = mkdtempSync(join(tmpdir(), "operator-server-"))
  dirs.push(dir)
  return MediaStoreFile.layer({
    dir,
    ttlSec: 300,
    maxBytes: 1 << 20,
    mediaPath: "/media",
    publicBaseUrl: Option.some("https://public.example"),
    signingKey: Redacted.make(new Uint8Array(32).fill(7))
  })
}

const diagnostics = { adminToken: Option.some(Redacted.make(ADMIN_TOKEN)), tenancy: singleTenant }

/** Serves `options` over every port, then reports which route sets answer. */
const answering = (options: Omit<OperatorServerOptions, "bind" | "port">) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const context = yield* Layer.build(Layer.mergeAll(base, mediaLayer(), makeSeededRegistry(populated).layer))
    yield* Layer.build(OperatorServerLive({ bind: "127.0.0.1", port, ...options }).pipe(Layer.provide(Layer.succeedContext(context))))
    const store = yield* Effect.provide(MediaStore, Layer.succeedContext(context))
    const stored = yield* store.put({ bytes: new Uint8Array([5]), contentType: "image/png", filename: "a.png" })
    return {
      healthz: yield* status(port, "/healthz"),
      media: yield* status(port, stored.url.slice("https://public.example".length)),
      diagnostics: yield* status(port, "/openclaw/connector/installations")
    }
  })

describe("OperatorServerLive", () => {
  it.scopedLive("without optional routes only the operator routes answer", () =>
    Effect.map(answering({}), (got) => expect(got).toEqual({ healthz: 200, media: 404, diagnostics: 404 })))

  it.scopedLive("media only", () =>
    Effect.map(answering({ mediaPath: "/media" }), (got) => expect(got).toEqual({ healthz: 200, media: 200, diagnostics: 404 })))

  it.scopedLive("diagnostics only", () =>
    Effect.map(answering({ diagnostics }), (got) => expect(got).toEqual({ healthz: 200, media: 404, diagnostics: 200 })))

  it.scopedLive("media and diagnostics", () =>
    Effect.map(answering({ mediaPath: "/media", diagnostics }), (got) => expect(got).toEqual({ healthz: 200, media: 200, diagnostics: 200 })))

  it.scopedLive("the layer asks only for the ports its routes need", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      // Type-checked: no MediaStore or InstallationRegistry needed without media or diagnostics.
      const plain: Layer.Layer<never, unknown, Backend | StoreProbe | PlatformHealth> =
        OperatorServerLive({ bind: "127.0.0.1", port })
      yield* Layer.build(plain.pipe(Layer.provide(base)))
      expect(yield* status(port, "/healthz")).toBe(200)
    }))
})
