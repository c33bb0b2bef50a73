import { Effect, FastCheck as fc, Option, Redacted } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { makeDiagnosticsHandler } from "../../../src/adapters/http/DiagnosticsApi.js"
import { INSTALLATION_STATUSES } from "../../../src/ports/InstallationRegistry.js"
import { ADMIN_TOKEN, auth, diagnosticsClient, multiTenant, singleTenant } from "./client.js"
import { makeSeededRegistry, populated, type SeedRecord } from "./SeededRegistry.js"

const disposers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const d of disposers.splice(0)) await d()
})
const client = (...args: Parameters<typeof diagnosticsClient>) => {
  const c = diagnosticsClient(...args)
  disposers.push(c.dispose)
  return c
}

const ROUTES = [
  "/openclaw/connector/installations",
  "/openclaw/connector/installations/slack:T1",
  "/openclaw/connector/installations/resolve?platform=slack&workspace_id=T1",
  "/openclaw/connector/installations/audit",
  "/openclaw/connector/extraction-contract",
  "/api/moltbot/connector/installations"
]

describe("admin token on every route", () => {
  it("missing or wrong token: 403 Invalid admin token, the registry is never asked", async () => {
    const double = makeSeededRegistry(populated)
    const { get, logs } = client(double.layer)
    for (const path of ROUTES) {
      const attempts: Array<Record<string, string>> = [
        {},
        { "x-openclaw-admin-token": "wrong" },
        { "x-openclaw-admin-token": `${ADMIN_TOKEN}x` },
        { "x-openclaw-admin-token": ADMIN_TOKEN.toUpperCase() },
        { authorization: `Bearer ${ADMIN_TOKEN}` }
      ]
      for (const headers of attempts) {
        const res = await get(path, headers)
        expect([path, res.status, res.json]).toEqual([path, 403, { ok: false, error: "Invalid admin token." }])
      }
    }
    expect(double.calls).toEqual([])
    expect(logs.some((l) => l.includes("invalid_admin_token"))).toBe(true)
    expect(logs.join("\n")).not.toContain("wrong")
    expect(logs.join("\n")).not.toContain(ADMIN_TOKEN)
  })

  it("no admin token configured: every route is refused, even with a token presented", async () => {
    const double = makeSeededRegistry(populated)
    for (const adminToken of [Option.none(), Option.some(Redacted.make(""))]) {
      const { get } = client(double.layer, { adminToken })
      for (const path of ROUTES) {
        for (const headers of [{}, auth, { "x-openclaw-admin-token": "" }]) {
          const res = await get(path, headers)
          expect(res.status).toBe(403)
          expect(res.json).toEqual({
            ok: false,
            error: "Admin token not configured. Set OPENCLAW_CONNECTOR_ADMIN_TOKEN to use the diagnostics API."
          })
        }
      }
    }
    expect(double.calls).toEqual([])
  })

  it("the legacy X-Moltbot-Admin-Token header is accepted", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    expect((await get(ROUTES[0]!, { "x-moltbot-admin-token": ADMIN_TOKEN })).status).toBe(200)
  })

  it("the per-client budget answers 429 with Retry-After once spent", async () => {
    const { get } = client(makeSeededRegistry(populated).layer, { rateLimit: { capacity: 2, refillPerSecond: 0 } })
    expect((await get(ROUTES[0]!)).status).toBe(200)
    expect((await get(ROUTES[0]!, {})).status).toBe(403)
    const limited = await get(ROUTES[0]!)
    expect(limited.status).toBe(429)
    expect(limited.headers.get("retry-after")).toBe("60")
    expect(limited.json).toMatchObject({ ok: false, code: "rate_limit_exceeded", bucket: "admin", retry_after_sec: 60 })
  })
})

describe("tenant scoping", () => {
  it("multi-tenant without a tenant header: tenant_required, or default with the fallback allowed", async () => {
    const double = makeSeededRegistry(populated, { multiTenant: true })
    const strict = client(double.layer, { tenancy: multiTenant(false) })
    for (const path of ROUTES) {
      const res = await strict.get(path)
      expect([path, res.status, res.json.error]).toEqual([path, 403, "tenant_required"])
    }
    expect(double.calls).toEqual([])
    const lenient = client(double.layer, { tenancy: multiTenant(true) })
    const res = await lenient.get(ROUTES[0]!)
    expect(res.status).toBe(200)
    expect(res.json.tenant_id).toBe("default")
    expect(res.json.installations.every((i: { tenant_id: string }) => i.tenant_id === "default")).toBe(true)
  })

  it("conflicting tenant headers are a tenant_mismatch; an invalid id is tenant_invalid", async () => {
    const { get } = client(makeSeededRegistry(populated, { multiTenant: true }).layer, { tenancy: multiTenant(true, "X-Org-Tenant") })
    const mismatch = await get(ROUTES[0]!, { ...auth, "x-org-tenant": "tenant-a", "x-openclaw-tenant-id": "tenant-b" })
    expect(mismatch.status).toBe(403)
    expect(mismatch.json).toMatchObject({ ok: false, error: "tenant_mismatch" })
    const invalid = await get(ROUTES[0]!, { ...auth, "x-org-tenant": "../etc" })
    expect(invalid.json).toMatchObject({ ok: false, error: "tenant_invalid" })
    const custom = await get(ROUTES[0]!, { ...auth, "x-org-tenant": "tenant-b" })
    expect(custom.json.installations.map((i: { installation_id: string }) => i.installation_id)).toEqual(["feishu:acct-beta"])
  })

  it("a registry that ignores tenant filters still cannot show another tenant's records", async () => {
    const { get } = client(makeSeededRegistry(populated, { multiTenant: true, leaky: true }).layer, { tenancy: multiTenant() })
    const headers = { ...auth, "x-openclaw-tenant-id": "tenant-a" }
    const list = await get("/openclaw/connector/installations", headers)
    expect(list.json.installations.every((i: { tenant_id: string }) => i.tenant_id === "tenant-a")).toBe(true)
    expect(list.json.diagnostics.installation_count).toBe(2)
    expect((await get("/openclaw/connector/installations/slack:T1", headers)).status).toBe(404)
    const resolved = await get("/openclaw/connector/installations/resolve?platform=slack&workspace_id=T1", headers)
    expect([resolved.status, resolved.json.resolution.reject_reason]).toEqual([409, "tenant_mismatch"])
    const audit = await get("/openclaw/connector/installations/audit?limit=500", headers)
    expect(audit.json.events.every((e: { tenant_id: string }) => e.tenant_id === "tenant-a")).toBe(true)
  })
})

describe("bad parameters are bounded 400s", () => {
  it("repeated, oversized, control characters, unknown status, non-integer limit, bad percent-encoding", async () => {
    const double = makeSeededRegistry(populated)
    const { get } = client(double.layer)
    const cases: Array<[string, string]> = [
      ["/openclaw/connector/installations?platform=slack&platform=feishu", "platform must be given at most once"],
      [`/openclaw/connector/installations?workspace_id=${"T".repeat(257)}`, "workspace_id is longer than 256 characters"],
      ["/openclaw/connector/installations?workspace_id=T%001", "workspace_id contains control characters"],
      ["/openclaw/connector/installations?status=enabled", `status must be one of ${INSTALLATION_STATUSES.join(", ")}`],
      ["/openclaw/connector/installations/audit?limit=ten", "limit must be an integer (1..500)"],
      ["/openclaw/connector/installations/audit?limit=1.5", "limit must be an integer (1..500)"],
      ["/openclaw/connector/installations/audit?limit=1&limit=2", "limit must be given at most once"],
      ["/openclaw/connector/installations/resolve?platform=slack&workspace_id=T1&workspace_id=T2", "workspace_id must be given at most once"],
      [`/openclaw/connector/installations/${"x".repeat(300)}`, "installation_id is longer than 256 characters"]
    ]
    for (const [path, error] of cases) {
      const res = await get(path)
      expect([path, res.status, res.json]).toEqual([path, 400, { ok: false, error }])
      expect(res.text.length).toBeLessThan(200)
    }
  })

  it("an id that is not valid percent-encoding never reaches the registry", async () => {
    const double = makeSeededRegistry(populated)
    const { get } = client(double.layer)
    const res = await get("/openclaw/connector/installations/%E0%A4%A")
    expect([400, 404]).toContain(res.status) // the router may refuse it before the handler does
    const handle = await Effect.runPromise(makeDiagnosticsHandler({ adminToken: Option.some(Redacted.make(ADMIN_TOKEN)), tenancy: singleTenant }))
    const direct = await Effect.runPromise(Effect.provide(
      handle({ target: "/openclaw/connector/installations/%E0%A4%A", header: (n) => (auth as Record<string, string>)[n], client: "c" }),
      double.layer
    ))
    expect(direct).toEqual({ status: 400, body: { ok: false, error: "installation_id is not valid percent-encoding" } })
    expect(double.calls).toEqual([])
  })

  it("a registry that is down is a 503 whose body does not carry the registry's message", async () => {
    const { get, logs } = client(makeSeededRegistry(populated, { down: true }).layer)
    for (const path of ROUTES.slice(0, 4)) {
      const res = await get(path)
      expect([path, res.status, res.json]).toEqual([path, 503, { ok: false, error: "registry_unavailable" }])
    }
    expect(logs.some((l) => l.includes("installation registry unavailable"))).toBe(true)
  })
})

/** Token values distinctive enough that finding one in a response means it leaked. */
const tokenValue = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((s) => `secret-${s}`)
const seedRecord = fc.record({
  platform: fc.constantFrom("slack", "feishu"),
  tenantId: fc.constantFrom("default", "tenant-a", "tenant-b"),
  workspaceId: fc.stringMatching(/^[A-Z0-9]{2,8}$/),
  status: fc.constantFrom(...INSTALLATION_STATUSES),
  tokens: fc.dictionary(fc.constantFrom("bot_token", "app_token", "app_secret", "refresh_token"), tokenValue, { maxKeys: 3 }),
  healthState: fc.option(fc.constantFrom("ok", "invalid_token", "revoked", "degraded"), { nil: undefined })
})

describe("no secret in any response", () => {
  it("property: whatever the records and tokens, no response body or log line contains a token value", async () => {
    let resolvedWithTokens = 0
    await fc.assert(
      fc.asyncProperty(fc.array(seedRecord, { minLength: 1, maxLength: 6 }), fc.boolean(), async (records, multi) => {
        const seed: Array<SeedRecord> = records.map((r, i) => ({
          platform: r.platform,
          tenantId: r.tenantId,
          workspaceId: r.workspaceId,
          installationId: `${r.platform}:${r.workspaceId}:${i}`,
          status: r.status,
          tokens: r.tokens,
          metadata: { workspace_name: `W${i}` },
          ...(r.healthState !== undefined ? { health: { state: r.healthState, reason: "r", updatedAtMillis: 1 } } : {})
        }))
        const double = makeSeededRegistry(seed, { multiTenant: multi })
        const c = diagnosticsClient(double.layer, multi ? { tenancy: multiTenant(true) } : {})
        try {
          const bodies: Array<string> = []
          for (const r of seed) {
            const headers = multi ? { ...auth, "x-openclaw-tenant-id": r.tenantId } : auth
            for (const path of [
              "/openclaw/connector/installations",
              `/openclaw/connector/installations/${encodeURIComponent(r.installationId)}`,
              `/openclaw/connector/installations/resolve?platform=${r.platform}&workspace_id=${r.workspaceId}`,
              "/openclaw/connector/installations/audit?limit=500",
              "/openclaw/connector/extraction-contract"
            ]) {
              const res = await c.get(path, headers)
              if (path.includes("/resolve?") && res.status === 200 && Object.keys(r.tokens).length > 0) resolvedWithTokens++
              bodies.push(res.text)
            }
          }
          const everything = `${bodies.join("\n")}\n${c.logs.join("\n")}`
          for (const secret of double.secrets) expect(everything).not.toContain(secret)
          expect(everything).not.toContain(ADMIN_TOKEN)
          // A resolvable record really was resolved with its tokens, and only refs came back.
          expect(everything).not.toContain("\"tokens\"")
        } finally {
          await c.dispose()
        }
      }),
      { numRuns: 40 }
    )
    // The registry did hand tokens to the API (resolve), so the property was really exercised.
    expect(resolvedWithTokens).toBeGreaterThan(0)
  })

  it("a registry that put a secret into metadata or an audit detail still does not leak it", async () => {
    const seed: Array<SeedRecord> = [{
      platform: "slack", tenantId: "default", workspaceId: "T1", installationId: "slack:T1", status: "active",
      tokens: { bot_token: "xoxb-real-secret" },
      metadata: { access_token: "plain-looking-value", note: "xoxb-leaked-token-in-metadata", team_name: "Team" }
    }]
    const { get } = client(makeSeededRegistry(seed).layer)
    const res = await get("/openclaw/connector/installations/slack:T1")
    expect(res.json.installation.metadata).toEqual({ access_token: "[redacted]", note: "[redacted]", team_name: "Team" })
    expect(res.text).not.toContain("plain-looking-value")
    expect(res.text).not.toContain("xoxb-")
  })
})
