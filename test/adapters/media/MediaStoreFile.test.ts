import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Exit, FastCheck as fc, Layer, Option, Redacted, Scope, TestClock } from "effect"
import { mintToken } from "../../../src/adapters/media/MediaToken.js"
import { MediaStoreFile, type MediaStoreFileOptions } from "../../../src/adapters/media/MediaStoreFile.js"
import { MediaStore } from "../../../src/ports/MediaStore.js"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "media-store-"))
  dirs.push(dir)
  return dir
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const BASE = "https://connector.example/base/"
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4])

const optionsFor = (dir: string, over: Partial<MediaStoreFileOptions> = {}): MediaStoreFileOptions => ({
  dir,
  ttlSec: 300,
  maxBytes: 1024,
  mediaPath: "/media",
  publicBaseUrl: Option.some(BASE),
  signingKey: Redacted.make(new Uint8Array(32).fill(7)),
  ...over
})

/** The store of a layer built in its own scope (close the scope to "stop the process"). */
const storeIn = (options: MediaStoreFileOptions) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(MediaStoreFile.layer(options), scope)
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    return { store: Context.get(context, MediaStore), close: Scope.close(scope, Exit.void) }
  })

/** `/<token>` below MEDIA_PATH, as a route hands it to `open`. */
const subPath = (url: string) => {
  expect(url.startsWith("https://connector.example/base/media/")).toBe(true)
  return url.slice("https://connector.example/base/media".length)
}

/** A bounded wait on a real condition (file IO runs outside the test clock). */
const eventually = (condition: Effect.Effect<boolean>, what: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 5_000
    while (!(yield* condition)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`timed out waiting for ${what}`))
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
    }
  })

const pendingWake = Effect.map(TestClock.sleeps(), Chunk.head)

/**
 * Runs exactly one periodic sweep at the time it is due: waits until the sweeper sleeps, moves the
 * test clock to its wake time, then waits until that sweep is done (it sleeps again, later).
 */
const nextSweep = Effect.gen(function*() {
  yield* eventually(Effect.map(pendingWake, Option.isSome), "the sweeper to sleep")
  const due = Option.getOrThrow(yield* pendingWake)
  yield* TestClock.setTime(due)
  yield* eventually(Effect.map(pendingWake, Option.exists((t) => t > due)), "the sweep to finish")
  return due
})

const mediaFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".media"))

describe("MediaStoreFile", () => {
  it.scoped("put then open: the same bytes, type and name; the link is signed and below PUBLIC_BASE_URL + MEDIA_PATH", () =>
    Effect.gen(function*() {
      const dir = join(tempDir(), "media")
      const { store } = yield* storeIn(optionsFor(dir))
      const stored = yield* store.put({ bytes: png, contentType: "image/PNG", filename: "ComfyUI_0001_.png" })
      expect(stored.url).toMatch(/^https:\/\/connector\.example\/base\/media\/[0-9a-f]+\.[0-9a-f]{64}$/)
      expect(stored.previewUrl).toBe(stored.url)
      expect(stored.expiresAtMillis).toBe(300_000) // the test clock starts at 0
      const opened = yield* store.open(subPath(stored.url))
      expect(Option.map(opened, (f) => [Buffer.from(f.bytes).toString("hex"), f.contentType, f.filename])).toEqual(
        Option.some([Buffer.from(png).toString("hex"), "image/png", "ComfyUI_0001_.png"])
      )
      expect(statSync(dir).mode & 0o777).toBe(0o700)
      const [file] = mediaFiles(dir)
      expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600)
      const other = yield* store.put({ bytes: png, contentType: "image/png", filename: "x.png" })
      expect(other.url).not.toBe(stored.url)
    }))

  it.scoped("a link works through its expiry second and not after", () =>
    Effect.gen(function*() {
      const { store } = yield* storeIn(optionsFor(tempDir()))
      const stored = yield* store.put({ bytes: png, contentType: "image/png", filename: "a.png" })
      yield* TestClock.setTime(stored.expiresAtMillis + 999)
      expect(Option.isSome(yield* store.open(subPath(stored.url)))).toBe(true)
      yield* TestClock.setTime(stored.expiresAtMillis + 1000)
      expect(yield* store.open(subPath(stored.url))).toEqual(Option.none())
    }))

  it.scoped("tampered id, expiry or signature: none, even when the tampered id names a real file", () =>
    Effect.gen(function*() {
      const { store } = yield* storeIn(optionsFor(tempDir()))
      const a = yield* store.put({ bytes: png, contentType: "image/png", filename: "a.png" })
      const b = yield* store.put({ bytes: png, contentType: "image/png", filename: "b.png" })
      const [payloadA, sigA] = subPath(a.url).slice(1).split(".") as [string, string]
      const [payloadB] = subPath(b.url).slice(1).split(".") as [string, string]
      const claimsA = Buffer.from(payloadA, "hex").toString("utf8").split(":")
      const longer = Buffer.from(`${claimsA[0]}:${Number(claimsA[1]) + 3600}:${claimsA[2]}`).toString("hex")
      const html = Buffer.from(`${claimsA[0]}:${claimsA[1]}:text/html`).toString("hex")
      for (const forged of [`/${payloadB}.${sigA}`, `/${longer}.${sigA}`, `/${html}.${sigA}`, `/${payloadA}.${"0".repeat(64)}`]) {
        expect(yield* store.open(forged)).toEqual(Option.none())
      }
      const otherKey = new Uint8Array(32).fill(9)
      const [id, exp] = claimsA as [string, string]
      expect(yield* store.open(`/${mintToken(otherKey, { id, expiresAt: Number(exp), contentType: "image/png" })}`)).toEqual(
        Option.none()
      )
    }))

  it.scoped("over the cap: too-large, nothing written; at the cap: stored", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const { store } = yield* storeIn(optionsFor(dir, { maxBytes: 16 }))
      const refused = yield* Effect.flip(store.put({ bytes: new Uint8Array(17), contentType: "image/png", filename: "big.png" }))
      expect(refused.reason).toBe("too-large")
      expect(mediaFiles(dir)).toEqual([])
      yield* store.put({ bytes: new Uint8Array(16), contentType: "image/png", filename: "ok.png" })
      expect(mediaFiles(dir)).toHaveLength(1)
    }))

  it.scoped("no PUBLIC_BASE_URL: no-public-url, nothing written", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const { store } = yield* storeIn(optionsFor(dir, { publicBaseUrl: Option.none() }))
      const refused = yield* Effect.flip(store.put({ bytes: png, contentType: "image/png", filename: "a.png" }))
      expect(refused.reason).toBe("no-public-url")
      expect(readdirSync(dir)).toEqual([])
    }))

  it.scoped("a restart (new layer, same directory and key) still serves links minted before it", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const first = yield* storeIn(optionsFor(dir))
      const stored = yield* first.store.put({ bytes: png, contentType: "image/png", filename: "a.png" })
      yield* first.close
      const second = yield* storeIn(optionsFor(dir))
      expect(Option.isSome(yield* second.store.open(subPath(stored.url)))).toBe(true)
      const rekeyed = yield* storeIn(optionsFor(dir, { signingKey: Redacted.make(new Uint8Array(32).fill(8)) }))
      expect(yield* rekeyed.store.open(subPath(stored.url))).toEqual(Option.none())
    }))

  it.scoped("the periodic sweep removes files past expiry + grace, and only files it wrote", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      writeFileSync(join(dir, "unrelated.txt"), "not ours")
      const { store } = yield* storeIn(optionsFor(dir, { ttlSec: 60 }))
      // Links live 60 s; files stay 60 s more. The sweep runs every minute from startup.
      const old = yield* store.put({ bytes: png, contentType: "image/png", filename: "old.png" }) // expires 60 s
      expect(yield* nextSweep).toBe(60_000)
      const young = yield* store.put({ bytes: png, contentType: "image/png", filename: "young.png" }) // 120 s
      expect(yield* nextSweep).toBe(120_000)
      expect(mediaFiles(dir)).toHaveLength(2) // old is in its grace minute
      expect(yield* nextSweep).toBe(180_000)
      expect(mediaFiles(dir)).toHaveLength(1)
      expect(yield* store.open(subPath(old.url))).toEqual(Option.none())
      yield* TestClock.setTime(120_999) // young is still a valid link, and its file is still there
      expect(Option.isSome(yield* store.open(subPath(young.url)))).toBe(true)
      expect(yield* nextSweep).toBe(240_000)
      expect(readdirSync(dir)).toEqual(["unrelated.txt"])
    }))

  it.scoped("put never scans the directory: expired files wait for the periodic sweep", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const { store } = yield* storeIn(optionsFor(dir, { ttlSec: 60, sweepEvery: "1000 days" }))
      yield* eventually(Effect.map(pendingWake, Option.isSome), "the startup sweep to finish")
      const old = yield* store.put({ bytes: png, contentType: "image/png", filename: "old.png" })
      yield* TestClock.setTime(125_000) // old's link and its grace minute are over
      yield* store.put({ bytes: png, contentType: "image/png", filename: "new.png" })
      yield* store.put({ bytes: png, contentType: "image/png", filename: "newer.png" })
      expect(mediaFiles(dir)).toHaveLength(3)
      expect(yield* store.open(subPath(old.url))).toEqual(Option.none()) // the link has expired all the same
    }))

  it.scoped("a relative directory is refused at startup", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(storeIn(optionsFor("relative/media")))
      expect(Exit.isFailure(exit)).toBe(true)
    }))

  it.scoped.prop(
    "any path or query not issued by put is none, and nothing outside the directory is ever served",
    [
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.constantFrom("/../secret", "/..%2fsecret", "/%2e%2e/secret", "/./secret", "//secret", "/secret", "/../outside.media"),
        fc.array(fc.constantFrom("..", ".", "%2e%2e", "secret", "media", "a.b", ""), { maxLength: 6 }).map((p) => "/" + p.join("/")),
        fc.tuple(fc.hexaString({ minLength: 2, maxLength: 200 }), fc.hexaString({ minLength: 64, maxLength: 64 })).map(([p, s]) => `/${p}.${s}`)
      ),
      fc.oneof(fc.constant(""), fc.string({ maxLength: 40 }).map((q) => `?${q}`))
    ],
    ([path, query]) =>
      Effect.gen(function*() {
        const root = tempDir()
        const dir = join(root, "media")
        writeFileSync(join(root, "secret"), "outside")
        const { store } = yield* storeIn(optionsFor(dir))
        const issued = yield* store.put({ bytes: png, contentType: "image/png", filename: "a.png" })
        fc.pre(path !== subPath(issued.url))
        expect(yield* store.open(path + query)).toEqual(Option.none())
        // A correctly signed token whose id tries to leave the directory is refused too.
        const escape = mintToken(new Uint8Array(32).fill(7), { id: "../secret", expiresAt: 300, contentType: "image/png" })
        expect(yield* store.open(`/${escape}`)).toEqual(Option.none())
      }),
    { fastCheck: { numRuns: 60 } }
  )
})
