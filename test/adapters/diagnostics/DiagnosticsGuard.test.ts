import * as crypto from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Option, Redacted } from "effect"
import { vi } from "vitest"
import {
  adminTokenMatches,
  type Bucket,
  checkAdminToken,
  invalidAdminTokenRefusal,
  MAX_BUCKETS,
  noAdminTokenRefusal,
  resolveRequestTenant,
  takeToken
} from "../../../src/adapters/http/DiagnosticsGuard.js"

// Wrap the real timingSafeEqual so the tests can see that the guard goes through it.
vi.mock("node:crypto", async (original) => {
  const real = await original<typeof import("node:crypto")>()
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) }
})

const CONFIGURED = "admin-token-0123456789abcdef"
const configured = Option.some(Redacted.make(CONFIGURED))
const headers = (values: Record<string, string>) => (name: string) => values[name]

describe("admin token", () => {
  it("the configured token in X-OpenClaw-Admin-Token or the legacy header passes", () => {
    expect(checkAdminToken(configured, headers({ "x-openclaw-admin-token": CONFIGURED }))).toEqual(Option.none())
    expect(checkAdminToken(configured, headers({ "x-moltbot-admin-token": CONFIGURED }))).toEqual(Option.none())
  })

  it("a missing header is refused with 403 Invalid admin token", () => {
    expect(checkAdminToken(configured, headers({}))).toEqual(Option.some(invalidAdminTokenRefusal))
    expect(invalidAdminTokenRefusal.status).toBe(403)
    expect(invalidAdminTokenRefusal.body).toEqual({ ok: false, error: "Invalid admin token." })
  })

  it.prop("any presented token other than the configured one is refused", [fc.string({ unit: "grapheme", maxLength: 80 })], ([token]) => {
    fc.pre(token !== CONFIGURED)
    for (const name of ["x-openclaw-admin-token", "x-moltbot-admin-token"]) {
      expect(checkAdminToken(configured, headers({ [name]: token }))).toEqual(Option.some(invalidAdminTokenRefusal))
    }
  })

  it.prop("a near miss (one character changed, added or removed) is refused", [fc.nat(CONFIGURED.length - 1), fc.constantFrom("change", "add", "drop")], ([at, how]) => {
    const near = how === "change"
      ? CONFIGURED.slice(0, at) + (CONFIGURED[at] === "x" ? "y" : "x") + CONFIGURED.slice(at + 1)
      : how === "add"
      ? CONFIGURED.slice(0, at) + "z" + CONFIGURED.slice(at)
      : CONFIGURED.slice(0, at) + CONFIGURED.slice(at + 1)
    expect(checkAdminToken(configured, headers({ "x-openclaw-admin-token": near }))._tag).toBe("Some")
  })

  it.prop("with no admin token configured every request is refused, whatever it presents", [fc.string({ maxLength: 40 })], ([token]) => {
    for (const none of [Option.none(), Option.some(Redacted.make(""))]) {
      expect(checkAdminToken(none, headers({ "x-openclaw-admin-token": token }))).toEqual(Option.some(noAdminTokenRefusal))
    }
    expect(noAdminTokenRefusal.status).toBe(403)
  })

  it("compares in constant time: timingSafeEqual on two 32-byte digests, whatever the lengths", () => {
    const spy = vi.mocked(crypto.timingSafeEqual)
    for (const presented of ["", "x", CONFIGURED, `${CONFIGURED}-longer-than-configured`]) {
      spy.mockClear()
      adminTokenMatches(presented, Redacted.make(CONFIGURED))
      expect(spy).toHaveBeenCalledTimes(1)
      const [a, b] = spy.mock.calls[0]! as [Buffer, Buffer]
      expect([a.length, b.length]).toEqual([32, 32])
    }
  })
})

const tenancy = (multiTenantEnabled: boolean, allowDefaultFallback = false, tenantHeader = "X-OpenClaw-Tenant-Id") =>
  ({ multiTenantEnabled, allowDefaultFallback, tenantHeader })

describe("request tenant (§6)", () => {
  it("single-tenant mode is always default, headers ignored", () => {
    expect(resolveRequestTenant(tenancy(false), headers({ "x-openclaw-tenant-id": "Nope!" })))
      .toEqual({ ok: true, tenantId: "default", multiTenant: false })
  })

  it("multi-tenant: the header names the tenant (trimmed, lower-cased); the legacy header works too", () => {
    expect(resolveRequestTenant(tenancy(true), headers({ "x-openclaw-tenant-id": "  Tenant-A " })))
      .toEqual({ ok: true, tenantId: "tenant-a", multiTenant: true })
    expect(resolveRequestTenant(tenancy(true), headers({ "x-moltbot-tenant-id": "tenant-b" })))
      .toEqual({ ok: true, tenantId: "tenant-b", multiTenant: true })
  })

  it("OPENCLAW_TENANT_HEADER is read, alongside the standard names", () => {
    const custom = tenancy(true, false, "X-Org")
    expect(resolveRequestTenant(custom, headers({ "x-org": "acme" }))).toEqual({ ok: true, tenantId: "acme", multiTenant: true })
    expect(resolveRequestTenant(custom, headers({ "x-org": "acme", "x-openclaw-tenant-id": "ACME" })))
      .toEqual({ ok: true, tenantId: "acme", multiTenant: true })
  })

  it("headers that name different tenants are a tenant_mismatch", () => {
    const decision = resolveRequestTenant(tenancy(true, true), headers({ "x-openclaw-tenant-id": "a", "x-moltbot-tenant-id": "b" }))
    expect(decision).toMatchObject({ ok: false, refusal: { status: 403, body: { ok: false, error: "tenant_mismatch" } } })
  })

  it("no tenant header: default only with the fallback allowed, else tenant_required", () => {
    expect(resolveRequestTenant(tenancy(true, true), headers({ "x-openclaw-tenant-id": "   " })))
      .toEqual({ ok: true, tenantId: "default", multiTenant: true })
    expect(resolveRequestTenant(tenancy(true, false), headers({})))
      .toMatchObject({ ok: false, refusal: { status: 403, body: { ok: false, error: "tenant_required" } } })
  })

  it.prop("any header value is either a valid tenant id or tenant_invalid (never passed through)", [fc.string({ maxLength: 80 })], ([value]) => {
    const decision = resolveRequestTenant(tenancy(true, true), headers({ "x-openclaw-tenant-id": value }))
    if (decision.ok) {
      expect(decision.tenantId).toMatch(value.trim() === "" ? /^default$/ : /^[a-z0-9][a-z0-9._-]{0,63}$/)
    } else {
      // A fixed message: the header value is never echoed.
      expect(decision.refusal.body).toEqual({
        ok: false,
        error: "tenant_invalid",
        message: "Tenant id must match ^[a-z0-9][a-z0-9._-]{0,63}$ (case-insensitive)."
      })
    }
  })
})

describe("admin rate budget", () => {
  const limit = { capacity: 3, refillPerSecond: 1 }

  it("allows `capacity` requests, then refuses with a Retry-After until a token is back", () => {
    const buckets = new Map<string, Bucket>()
    const take = (key: string, now: number) => takeToken(buckets, key, now, limit)
    expect([take("a", 0), take("a", 0), take("a", 0)]).toEqual([Option.none(), Option.none(), Option.none()])
    expect(take("a", 0)).toEqual(Option.some(1))
    expect(take("b", 0)).toEqual(Option.none()) // per client
    expect(take("a", 1000)).toEqual(Option.none())
  })

  it("remembers at most MAX_BUCKETS clients, forgetting the least recently seen", () => {
    const buckets = new Map<string, Bucket>()
    for (let i = 0; i <= MAX_BUCKETS; i++) takeToken(buckets, `c${i}`, 0, limit)
    expect(buckets.size).toBe(MAX_BUCKETS)
    expect(buckets.has("c0")).toBe(false)
    expect(buckets.has(`c${MAX_BUCKETS}`)).toBe(true)
  })
})
