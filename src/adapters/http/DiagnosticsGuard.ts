import { Option, Redacted } from "effect"
import type { TenancyConfig } from "../config/Profile.js"
import { secretEquals } from "../crypto/SecretEquals.js"
import { DEFAULT_TENANT, TENANT_PATTERN } from "../installations/Normalize.js"

/**
 * The guard in front of every admin diagnostics route (spec platforms-slack-feishu §10, tenant
 * rules §6), as pure functions over the request's headers so each rule is testable alone.
 * Order: rate budget, admin token, tenant. Every refusal is a bounded JSON body that never echoes
 * a header value.
 */

export interface Refusal {
  readonly status: number
  readonly body: Readonly<Record<string, unknown>>
  /** A fixed word for the log line (never a header value). */
  readonly reason: string
  readonly headers?: Readonly<Record<string, string>>
}

/** Headers as the server received them, looked up by lower-case name. */
export type HeaderLookup = (lowerCaseName: string) => string | undefined

export const ADMIN_TOKEN_HEADERS = ["x-openclaw-admin-token", "x-moltbot-admin-token"] as const

/** Whether `presented` is exactly the configured token (constant time; SecretEquals.ts). */
export const adminTokenMatches = (presented: string, configured: Redacted.Redacted): boolean =>
  secretEquals(presented, configured)

export const noAdminTokenRefusal: Refusal = {
  status: 403,
  reason: "admin_token_not_configured",
  body: {
    ok: false,
    error: "Admin token not configured. Set OPENCLAW_CONNECTOR_ADMIN_TOKEN to use the diagnostics API."
  }
}

export const invalidAdminTokenRefusal: Refusal = {
  status: 403,
  reason: "invalid_admin_token",
  body: { ok: false, error: "Invalid admin token." }
}

/**
 * The admin token rule. Unlike the reference, no token configured never means "loopback may
 * enter": the API is closed until OPENCLAW_CONNECTOR_ADMIN_TOKEN is set (the operator server
 * binds 127.0.0.1 by default, so loopback is not evidence of an operator). The first present of
 * `X-OpenClaw-Admin-Token`, then the legacy `X-Moltbot-Admin-Token`, is the one checked.
 */
export const checkAdminToken = (
  configured: Option.Option<Redacted.Redacted>,
  header: HeaderLookup
): Option.Option<Refusal> => {
  const token = Option.filter(configured, (t) => (Redacted.value(t) as string) !== "")
  if (Option.isNone(token)) return Option.some(noAdminTokenRefusal)
  const presented = ADMIN_TOKEN_HEADERS.map(header).find((value) => value !== undefined) ?? ""
  return adminTokenMatches(presented, token.value) ? Option.none() : Option.some(invalidAdminTokenRefusal)
}


export type TenantCode = "tenant_invalid" | "tenant_mismatch" | "tenant_required"

export type TenantDecision =
  | { readonly ok: true; readonly tenantId: string; readonly multiTenant: boolean }
  | { readonly ok: false; readonly refusal: Refusal }

const tenantRefusal = (code: TenantCode, message: string): TenantDecision => ({
  ok: false,
  refusal: { status: 403, reason: code, body: { ok: false, error: code, message } }
})

/** The header names in the order §6 reads them, de-duplicated without regard to case. */
export const tenantHeaderNames = (tenancy: TenancyConfig): ReadonlyArray<string> =>
  [...new Set([tenancy.tenantHeader, "X-OpenClaw-Tenant-Id", "X-Moltbot-Tenant-Id"].map((n) => n.toLowerCase()))]

/**
 * The request's tenant (§6 `resolve_tenant_context` with the env admin token, which carries no
 * tenant of its own). Single-tenant mode is always `default`. In multi-tenant mode every
 * non-blank tenant header must hold a valid id (`tenant_invalid`), all of them the same one
 * (`tenant_mismatch`: the reference silently took the first); with none, `default` only when
 * OPENCLAW_MULTI_TENANT_ALLOW_DEFAULT_FALLBACK allows it, else `tenant_required`.
 */
export const resolveRequestTenant = (tenancy: TenancyConfig, header: HeaderLookup): TenantDecision => {
  if (!tenancy.multiTenantEnabled) return { ok: true, tenantId: DEFAULT_TENANT, multiTenant: false }
  const names = tenantHeaderNames(tenancy)
  const given = names.map(header).map((v) => (v ?? "").trim()).filter((v) => v !== "")
  const normalised = given.map((v) => v.toLowerCase())
  if (normalised.some((v) => !TENANT_PATTERN.test(v))) {
    return tenantRefusal("tenant_invalid", "Tenant id must match ^[a-z0-9][a-z0-9._-]{0,63}$ (case-insensitive).")
  }
  const distinct = [...new Set(normalised)]
  if (distinct.length > 1) return tenantRefusal("tenant_mismatch", "The tenant headers name different tenants.")
  if (distinct.length === 1) return { ok: true, tenantId: distinct[0]!, multiTenant: true }
  if (tenancy.allowDefaultFallback) return { ok: true, tenantId: DEFAULT_TENANT, multiTenant: true }
  return tenantRefusal(
    "tenant_required",
    `A tenant id is required in multi-tenant mode (header ${tenancy.tenantHeader}).`
  )
}

/** Token bucket per client (spec §10 bucket `admin`: 20 requests, refilled at 20 per minute). */
export interface RateLimitOptions {
  readonly capacity: number
  readonly refillPerSecond: number
}

export const DEFAULT_ADMIN_RATE_LIMIT: RateLimitOptions = { capacity: 20, refillPerSecond: 20 / 60 }

export interface Bucket {
  readonly tokens: number
  readonly atMillis: number
}

/** At most this many clients are remembered; the stalest bucket is forgotten first. */
export const MAX_BUCKETS = 4096

/**
 * Takes one token for `key` at `now`, updating `buckets` in place (callers run it atomically,
 * inside one synchronous step). Returns, when refused, how many whole seconds until a token is
 * back.
 */
export const takeToken = (
  buckets: Map<string, Bucket>,
  key: string,
  now: number,
  limit: RateLimitOptions
): Option.Option<number> => {
  const previous = buckets.get(key)
  const refilled = previous === undefined
    ? limit.capacity
    : Math.min(limit.capacity, previous.tokens + (Math.max(0, now - previous.atMillis) / 1000) * limit.refillPerSecond)
  buckets.delete(key) // re-inserted last: Map order is then least recently seen first
  if (refilled < 1) {
    buckets.set(key, { tokens: refilled, atMillis: now })
    const wait = limit.refillPerSecond > 0 ? Math.ceil((1 - refilled) / limit.refillPerSecond) : 60
    return Option.some(Math.max(1, wait))
  }
  buckets.set(key, { tokens: refilled - 1, atMillis: now })
  while (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value!)
  return Option.none()
}

export const rateLimitRefusal = (retryAfterSec: number): Refusal => ({
  status: 429,
  reason: "rate_limit_exceeded",
  headers: { "retry-after": String(retryAfterSec) },
  body: {
    error: "Rate limit exceeded",
    code: "rate_limit_exceeded",
    bucket: "admin",
    scope: "principal",
    retry_after_sec: retryAfterSec,
    reason_code: "rate_limit_exceeded",
    endpoint_class: "admin",
    ok: false
  }
})
