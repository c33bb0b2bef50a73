import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { callPlatformApi } from "../../../src/adapters/http/PlatformApi.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { freePort } from "../../e2e/support/ServiceProcess.js"

interface Scripted { readonly status: number; readonly body?: string; readonly headers?: Record<string, string>; readonly hang?: boolean }

const servers: Array<Server> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r) })))
})

/** Answers the scripted responses in order (the last one repeats) and records each request. */
const platform = async (script: ReadonlyArray<Scripted>) => {
  const seen: Array<{ method: string; url: string; auth: string; body: string }> = []
  const server = createServer((req, res) => {
    let body = ""
    req.on("data", (c) => (body += c))
    req.on("end", () => {
      const step = script[Math.min(seen.length, script.length - 1)]!
      seen.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization ?? "", body })
      if (step.hang === true) return
      res.writeHead(step.status, { "content-type": "application/json", ...step.headers }).end(step.body ?? "{}")
    })
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const call = (url: string, over: Partial<Parameters<typeof callPlatformApi>[0]> = {}) =>
  Effect.gen(function*() {
    const result = yield* Effect.either(callPlatformApi({
      platform: "line",
      method: "POST",
      url: `${url}/v2/bot/message/push?x=1`,
      headers: { authorization: "Bearer secret-token" },
      json: { to: "U1", messages: [] },
      backoffMillis: 1,
      ...over
    }))
    const health = yield* (yield* PlatformHealth).snapshot
    return { result, health }
  }).pipe(Effect.provide(PlatformHealthMemory), Effect.runPromise)

describe("platform API calls", () => {
  it("sends JSON with the caller's headers and marks the installation ok", async () => {
    const p = await platform([{ status: 200, body: '{"sentMessages":[]}' }])
    const { result, health } = await call(p.url)
    expect(result._tag === "Right" && result.right).toEqual({ status: 200, body: { sentMessages: [] } })
    expect(p.seen).toEqual([{ method: "POST", url: "/v2/bot/message/push?x=1", auth: "Bearer secret-token", body: '{"to":"U1","messages":[]}' }])
    expect(health).toMatchObject([{ platform: "line", state: "ok" }])
  })

  it("401 and 410 are recorded as invalid_token / revoked, not retried, and the error carries no URL or token", async () => {
    for (const [status, state] of [[401, "invalid_token"], [410, "revoked"]] as const) {
      const p = await platform([{ status, body: '{"message":"Authentication failed at https://api.example/x?access_token=abc"}' }])
      const { result, health } = await call(p.url)
      expect(p.seen).toHaveLength(1)
      expect(result._tag === "Left" && result.left).toMatchObject({ reason: "auth-invalid", status, detail: "Authentication failed at <url>" })
      expect(JSON.stringify(result)).not.toContain("secret-token")
      expect(health).toMatchObject([{ platform: "line", state, detail: `HTTP ${status}` }])
    }
  })

  it("429 honours Retry-After and 5xx backs off, then succeeds", async () => {
    const p = await platform([{ status: 429, headers: { "retry-after": "0" } }, { status: 503 }, { status: 200 }])
    const { result } = await call(p.url)
    expect(result._tag).toBe("Right")
    expect(p.seen).toHaveLength(3)
  })

  it("gives up after the retries: rate-limited, unreachable; a 400 is rejected at once", async () => {
    const limited = await platform([{ status: 429, headers: { "retry-after": "0" } }])
    expect((await call(limited.url, { retries: 1 })).result).toMatchObject({ left: { reason: "rate-limited", status: 429 } })
    expect(limited.seen).toHaveLength(2)
    const down = await platform([{ status: 500 }])
    expect((await call(down.url, { retries: 2 })).result).toMatchObject({ left: { reason: "unreachable", status: 500 } })
    expect(down.seen).toHaveLength(3)
    const bad = await platform([{ status: 400, body: '{"message":"Invalid reply token"}' }])
    const { result, health } = await call(bad.url)
    expect(result).toMatchObject({ left: { reason: "rejected", status: 400, detail: "Invalid reply token" } })
    expect(bad.seen).toHaveLength(1)
    expect(health).toMatchObject([{ state: "rejected" }])
  })

  it("a refused connection is retried (never sent); a timed-out call is not, unless the platform deduplicates it", async () => {
    const closed = await freePort()
    const refused = await call(`http://127.0.0.1:${closed}`)
    expect(refused.result).toMatchObject({ left: { reason: "unreachable", sent: "no" } })
    expect(refused.health).toMatchObject([{ state: "unreachable" }])
    const hung = await platform([{ status: 200, hang: true }])
    const timedOut = await call(hung.url, { timeoutMillis: 100, retries: 2 })
    expect(timedOut.result).toMatchObject({ left: { reason: "unreachable", sent: "maybe" } })
    expect(hung.seen).toHaveLength(1)
    const hungIdempotent = await platform([{ status: 200, hang: true }, { status: 200 }])
    const retried = await call(hungIdempotent.url, { timeoutMillis: 100, retries: 2, idempotent: true })
    expect(retried.result._tag).toBe("Right")
    expect(hungIdempotent.seen).toHaveLength(2)
  })
})
