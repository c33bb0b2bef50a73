import { request } from "node:http"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Option, Redacted } from "effect"
import { WebhookServer } from "../../../src/adapters/http/WebhookServer.js"
import { isDangerousType, mediaLinkBase, mediaResponse, mediaSubPath } from "../../../src/adapters/media/MediaResponse.js"
import { mediaRoute, serveMedia } from "../../../src/adapters/media/MediaRoute.js"
import { MediaStoreFile } from "../../../src/adapters/media/MediaStoreFile.js"
import { MediaStore } from "../../../src/ports/MediaStore.js"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "media-route-"))
  dirs.push(dir)
  return dir
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const storeLayer = (dir: string, mediaPath = "/media") =>
  MediaStoreFile.layer({
    dir,
    ttlSec: 300,
    maxBytes: 1 << 20,
    mediaPath,
    publicBaseUrl: Option.some("https://public.example"),
    signingKey: Redacted.make(new Uint8Array(32).fill(3))
  })

const fetchEffect = (url: string, method = "GET") =>
  Effect.promise(async () => {
    const res = await fetch(url, { method })
    return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) }
  })

/** Serves the route on a WebhookServer at port 0 and maps public links onto it. */
const serve = (mediaPath = "/media") =>
  Effect.gen(function*() {
    const store = yield* MediaStore
    const address = yield* WebhookServer.make({
      name: "media-test",
      bind: "127.0.0.1",
      port: 0,
      routes: [mediaRoute({ path: mediaPath })]
    })
    const local = (url: string) => url.replace("https://public.example", address.url)
    return { store, url: address.url, local }
  })

/** GET with the request target sent exactly as given (no URL normalisation). */
const rawGet = (base: string, target: string) =>
  Effect.async<{ status: number; text: string }>((resume) => {
    const { hostname, port } = new URL(base)
    const req = request({ host: hostname, port, path: target, method: "GET", agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    req.end()
  })

const withStore = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.provide(Layer.suspend(() => storeLayer(tempDir()))))

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

describe("media route on a webhook server", () => {
  it.scopedLive("200 with the bytes, the type, nosniff, inline for a raster image, and max-age = seconds left", () =>
    Effect.gen(function*() {
      const { store, local } = yield* serve()
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255, 10, 13])
      const stored = yield* store.put({ bytes: png, contentType: "image/png", filename: "Comfy \"x\"\r\n.png" })
      const res = yield* fetchEffect(local(stored.url))
      expect(res.status).toBe(200)
      expect(Array.from(res.bytes)).toEqual(Array.from(png))
      expect(res.headers.get("content-type")).toBe("image/png")
      expect(res.headers.get("x-content-type-options")).toBe("nosniff")
      expect(res.headers.get("content-disposition")).toBe('inline; filename="Comfy__x___.png"')
      const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get("cache-control") ?? "")?.[1])
      expect(maxAge).toBeGreaterThan(290)
      expect(maxAge).toBeLessThanOrEqual(300)
      const head = yield* fetchEffect(local(stored.url), "HEAD")
      expect([head.status, head.bytes.length, head.headers.get("content-length")]).toEqual([200, 0, String(png.length)])
    }).pipe(withStore))

  it.scopedLive("anything that is not a safe raster image is an attachment; active types become octet-stream", () =>
    Effect.gen(function*() {
      const { store, local } = yield* serve()
      const cases = [
        ["text/html; charset=utf-8", "application/octet-stream"],
        ["image/svg+xml", "application/octet-stream"],
        ["application/xhtml+xml", "application/octet-stream"],
        ["text/plain", "text/plain"],
        ["video/mp4", "video/mp4"],
        ["bogus", "application/octet-stream"]
      ] as const
      for (const [stored, served] of cases) {
        const link = yield* store.put({ bytes: Buffer.from("<script>alert(1)</script>"), contentType: stored, filename: "x.html" })
        const res = yield* fetchEffect(local(link.url))
        expect([res.status, res.headers.get("content-type")]).toEqual([200, served])
        expect(res.headers.get("content-disposition")).toBe('attachment; filename="x.html"')
        expect(res.headers.get("x-content-type-options")).toBe("nosniff")
      }
    }).pipe(withStore))

  it.scopedLive("every failure is the same 404 Media Not Found or Expired", () =>
    Effect.gen(function*() {
      const { store, url, local } = yield* serve()
      const stored = yield* store.put({ bytes: new Uint8Array([1]), contentType: "image/png", filename: "a.png" })
      const good = local(stored.url)
      const [payload, sig] = good.slice(`${url}/media/`.length).split(".") as [string, string]
      for (const bad of [
        `${url}/media/${payload}.${sig.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}`,
        `${url}/media/${payload.slice(2)}.${sig}`,
        `${url}/media/${payload}.${sig}/x`,
        `${url}/media/`,
        `${url}/media//${payload}.${sig}`
      ]) {
        const res = yield* fetchEffect(bad)
        expect([res.status, text(res.bytes)]).toEqual([404, "Media Not Found or Expired"])
        expect(res.headers.get("cache-control")).toBe("no-store")
      }
      // Raw request targets (fetch would normalise these): no dot segment or encoding reaches a file.
      for (const raw of [`/media/../media/${payload}.${sig}`, `/media/./${payload}.${sig}`, `/media/%2e%2e/media/${payload}.${sig}`, "/media/%2e%2e/secret", "/media/..%2fsecret"]) {
        const res = yield* rawGet(url, raw)
        expect([res.status, res.text]).toEqual([404, "Media Not Found or Expired"])
      }
      expect((yield* fetchEffect(`${good}?anything=1`)).status).toBe(200)
    }).pipe(withStore))

  it.scopedLive("MEDIA_PATH with a trailing slash works", () =>
    Effect.gen(function*() {
      const { store, local } = yield* serve("/files/")
      const stored = yield* store.put({ bytes: new Uint8Array([5]), contentType: "image/gif", filename: "a.gif" })
      expect(stored.url.startsWith("https://public.example/files/")).toBe(true)
      const res = yield* fetchEffect(local(stored.url))
      expect([res.status, res.headers.get("content-type")]).toEqual([200, "image/gif"])
    }).pipe(Effect.provide(Layer.suspend(() => storeLayer(tempDir(), "/files/")))))

  it.scopedLive("max-age comes from the expiry the store verified; a store that gives none is not cached", () =>
    Effect.gen(function*() {
      const real = yield* MediaStore
      const stored = yield* real.put({ bytes: new Uint8Array([1]), contentType: "image/png", filename: "a.png" })
      const sub = stored.url.slice("https://public.example/media".length)
      const opened = Option.getOrThrow(yield* real.open(sub))
      expect((opened as { expiresAtMillis?: number }).expiresAtMillis).toBe(stored.expiresAtMillis)
      const cacheOf = (store: MediaStore["Type"]) =>
        Effect.map(serveMedia(store, "/media", `/media${sub}`, ""), (r) => [r.status, r.headers["cache-control"] ?? ""] as const)
      const [status, cache] = yield* cacheOf(real)
      const maxAge = Number(/^private, max-age=(\d+)$/.exec(cache)?.[1])
      expect(status).toBe(200)
      expect(maxAge).toBeGreaterThan(290)
      expect(maxAge).toBeLessThanOrEqual(300)
      // Another store's file without an expiry: served, but never cached.
      const bare = MediaStore.of({ put: real.put, open: () => Effect.succeed(Option.some({ bytes: opened.bytes, contentType: opened.contentType, filename: opened.filename })) })
      expect(yield* cacheOf(bare)).toEqual([200, "private, max-age=0"])
    }).pipe(withStore))
})

describe("media response rules (pure)", () => {
  it("mediaSubPath takes only paths strictly below MEDIA_PATH", () => {
    expect(mediaSubPath("/media", "/media/abc")).toEqual(Option.some("/abc"))
    expect(mediaSubPath("/media/", "/media/abc")).toEqual(Option.some("/abc"))
    expect(mediaSubPath("/", "/abc")).toEqual(Option.some("/abc"))
    expect(mediaSubPath("/media", "/media")).toEqual(Option.none())
    expect(mediaSubPath("/media", "/media/")).toEqual(Option.none())
    expect(mediaSubPath("/media", "/mediax/abc")).toEqual(Option.none())
    expect(mediaSubPath("/media", "/other/media/abc")).toEqual(Option.none())
  })

  it("links are <base without trailing slash><path without trailing slash>", () => {
    expect(mediaLinkBase("https://a.example/", "/media")).toBe("https://a.example/media")
    expect(mediaLinkBase("https://a.example/p", "/m/")).toBe("https://a.example/p/m")
    expect(mediaLinkBase("https://a.example", "/")).toBe("https://a.example")
  })

  it.prop("no content type is ever served inline unless it is png, jpeg, webp or gif", [fc.string({ maxLength: 40 })], ([t]) => {
    const res = mediaResponse({ bytes: new Uint8Array(), contentType: t, filename: "f" }, 10)
    const inline = res.headers["content-disposition"]!.startsWith("inline")
    expect(inline).toBe(["image/png", "image/jpeg", "image/webp", "image/gif"].includes(t.split(";")[0]!.trim().toLowerCase()))
    if (isDangerousType(t)) expect(res.headers["content-type"]).toBe("application/octet-stream")
    expect(res.headers["content-type"]).not.toMatch(/html|svg|xml|script/)
    expect(res.headers["content-disposition"]).toMatch(/^(inline|attachment); filename="[A-Za-z0-9._-]+"$/)
  })
})
