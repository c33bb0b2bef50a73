import { Clock, Data, Effect, Option, type Redacted } from "effect"
import {
  INSTALLATION_STATUSES,
  InstallationRegistry,
  type InstallationStatus,
  type RegistryError
} from "../../ports/InstallationRegistry.js"
import type { TenancyConfig } from "../config/Profile.js"
import { extractionContract } from "./DiagnosticsContract.js"
import {
  type Bucket,
  checkAdminToken,
  DEFAULT_ADMIN_RATE_LIMIT,
  type HeaderLookup,
  rateLimitRefusal,
  type RateLimitOptions,
  type Refusal,
  resolveRequestTenant,
  takeToken
} from "./DiagnosticsGuard.js"
import { auditView, diagnosticsView, installationView, resolutionView } from "./DiagnosticsViews.js"
import { registryScope, type Scope, scopeAudit, scopeInstallation, scopeList, scopeResolution } from "./DiagnosticsScope.js"

/**
 * The admin diagnostics API (spec platforms-slack-feishu §10), independent of the HTTP stack:
 * a request is its raw target (path and query as received), its headers and the client address;
 * the answer is a status and a JSON body. Every route is GET, under `/openclaw`, the legacy
 * `/moltbot` (logged as deprecated) and both with an `/api` prefix. Nothing here ever reads a
 * token value: the registry's `resolve` returns tokens, and only its public view leaves.
 */
export interface DiagnosticsOptions {
  /** OPENCLAW_CONNECTOR_ADMIN_TOKEN; none means every route answers 403. */
  readonly adminToken: Option.Option<Redacted.Redacted>
  readonly tenancy: TenancyConfig
  /** Per-client budget (default 20 requests, refilled at 20 per minute). */
  readonly rateLimit?: RateLimitOptions | undefined
}

export interface DiagnosticsRequest {
  /** Path and query exactly as received (not decoded). */
  readonly target: string
  readonly header: HeaderLookup
  /** The peer address (the rate budget key); never a forwarded-for header. */
  readonly client: string
}

export interface DiagnosticsResponse {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export const DIAGNOSTICS_PREFIXES = ["/openclaw", "/moltbot", "/api/openclaw", "/api/moltbot"] as const

/** Longest accepted query value or installation id; longer is a 400, not a lookup. */
export const MAX_PARAM_LENGTH = 256
const CONTROL = /[\u0000-\u001f\u007f]/

class BadParam extends Data.TaggedError("BadParam")<{ readonly message: string }> {}
class NotFound extends Data.TaggedError("NotFound")<{}> {}

const notFound: DiagnosticsResponse = { status: 404, body: { ok: false, error: "not_found" } }

const checked = (name: string, raw: string): Effect.Effect<string | undefined, BadParam> => {
  const value = raw.trim()
  if (value === "") return Effect.succeed(undefined)
  if (value.length > MAX_PARAM_LENGTH) return Effect.fail(new BadParam({ message: `${name} is longer than ${MAX_PARAM_LENGTH} characters` }))
  if (CONTROL.test(value)) return Effect.fail(new BadParam({ message: `${name} contains control characters` }))
  return Effect.succeed(value)
}

/** One optional query value, trimmed; empty counts as absent, a repeated name is a 400. */
const param = (query: URLSearchParams, name: string) => {
  const all = query.getAll(name)
  if (all.length > 1) return Effect.fail(new BadParam({ message: `${name} must be given at most once` }))
  return all.length === 0 ? Effect.succeed(undefined) : checked(name, all[0]!)
}

const statusParam = (query: URLSearchParams) =>
  Effect.flatMap(param(query, "status"), (raw): Effect.Effect<InstallationStatus | undefined, BadParam> => {
    if (raw === undefined) return Effect.succeed(undefined)
    const status = INSTALLATION_STATUSES.find((s) => s === raw.toLowerCase())
    return status !== undefined
      ? Effect.succeed(status)
      : Effect.fail(new BadParam({ message: `status must be one of ${INSTALLATION_STATUSES.join(", ")}` }))
  })

/** `limit`: default 100, clamped to 1..500 (as the reference); not an integer is a 400. */
const limitParam = (query: URLSearchParams) =>
  Effect.flatMap(param(query, "limit"), (raw) => {
    if (raw === undefined) return Effect.succeed(100)
    if (!/^[+-]?\d{1,12}$/.test(raw)) return Effect.fail(new BadParam({ message: "limit must be an integer (1..500)" }))
    return Effect.succeed(Math.min(500, Math.max(1, Number(raw))))
  })

const lower = (value: string | undefined) => value?.toLowerCase()

const list = (scope: Scope, query: URLSearchParams) =>
  Effect.gen(function*() {
    const platform = lower(yield* param(query, "platform"))
    const workspaceId = yield* param(query, "workspace_id")
    const status = yield* statusParam(query)
    const registry = yield* InstallationRegistry
    // One read of the tenant's records and one of its audit trail: the listing is filtered here,
    // the diagnostics counts stay tenant-wide.
    const all = scopeList(scope, yield* registry.list(registryScope(scope)))
    const events = scopeAudit(scope, yield* registry.audit({ ...registryScope(scope), limit: 500 }))
    const installations = all.filter((i) =>
      (platform === undefined || i.platform === platform) &&
      (workspaceId === undefined || i.workspaceId === workspaceId) &&
      (status === undefined || i.status === status)
    )
    return {
      status: 200,
      body: {
        ok: true,
        tenant_id: scope.tenantId,
        installations: installations.map(installationView),
        diagnostics: diagnosticsView(all, events.length)
      }
    }
  })

const getOne = (scope: Scope, rawId: string) =>
  Effect.gen(function*() {
    let decoded: string
    try {
      decoded = decodeURIComponent(rawId)
    } catch {
      return yield* new BadParam({ message: "installation_id is not valid percent-encoding" })
    }
    const id = yield* checked("installation_id", decoded)
    if (id === undefined) return yield* new NotFound()
    const registry = yield* InstallationRegistry
    const found = yield* registry.get(id, registryScope(scope))
    const installation = scopeInstallation(scope, found)
    if (Option.isNone(installation)) return yield* new NotFound()
    return { status: 200, body: { ok: true, tenant_id: scope.tenantId, installation: installationView(installation.value) } }
  })

const resolve = (scope: Scope, query: URLSearchParams) =>
  Effect.gen(function*() {
    const platform = lower(yield* param(query, "platform"))
    const workspaceId = yield* param(query, "workspace_id")
    if (platform === undefined || workspaceId === undefined) {
      return { status: 400, body: { ok: false, error: "platform and workspace_id are required" } }
    }
    const registry = yield* InstallationRegistry
    const resolution = scopeResolution(
      scope,
      yield* registry.resolve(platform, workspaceId, scope.tenantId)
    )
    return {
      status: resolution.ok ? 200 : 409,
      body: { ok: resolution.ok, tenant_id: scope.tenantId, resolution: resolutionView(resolution) }
    }
  })

const audit = (scope: Scope, query: URLSearchParams) =>
  Effect.gen(function*() {
    const installationId = yield* param(query, "installation_id")
    const limit = yield* limitParam(query)
    const registry = yield* InstallationRegistry
    const events = scopeAudit(scope, yield* registry.audit({
      ...registryScope(scope),
      ...(installationId !== undefined ? { installationId } : {}),
      limit
    }))
    return { status: 200, body: { ok: true, tenant_id: scope.tenantId, events: events.map(auditView) } }
  })

type Handler = (scope: Scope, query: URLSearchParams) => Effect.Effect<DiagnosticsResponse, BadParam | NotFound | RegistryError, InstallationRegistry>

/** The route for the path after the prefix; literal paths win over the `{installation_id}` one. */
const route = (rest: string): { readonly name: string; readonly handle: Handler } | undefined => {
  switch (rest) {
    case "/connector/installations":
      return { name: "list", handle: list }
    case "/connector/extraction-contract":
      return { name: "extraction_contract", handle: () => Effect.succeed({ status: 200, body: { ok: true, contract: extractionContract() } }) }
    case "/connector/installations/resolve":
      return { name: "resolve", handle: resolve }
    case "/connector/installations/audit":
      return { name: "audit", handle: audit }
  }
  const m = /^\/connector\/installations\/([^/]+)$/.exec(rest)
  return m === null ? undefined : { name: "get", handle: (scope) => getOne(scope, m[1]!) }
}

const refused = (refusal: Refusal, routeName: string) =>
  Effect.as(
    Effect.logWarning(`Admin diagnostics refused: ${refusal.reason} (route ${routeName})`),
    { status: refusal.status, body: refusal.body, ...(refusal.headers !== undefined ? { headers: refusal.headers } : {}) }
  )

const asResponse = (error: BadParam | NotFound | RegistryError): Effect.Effect<DiagnosticsResponse> => {
  switch (error._tag) {
    case "BadParam":
      return Effect.succeed({ status: 400, body: { ok: false, error: error.message } })
    case "NotFound":
      return Effect.succeed(notFound)
    case "RegistryError":
      // The registry's message is not echoed: it is for the log, which gets only the reason.
      return Effect.as(
        Effect.logWarning(`Admin diagnostics: installation registry ${error.reason}`),
        error.reason === "unavailable"
          ? { status: 503, body: { ok: false, error: "registry_unavailable" } }
          : error.reason === "not-found"
          ? notFound
          : { status: 400, body: { ok: false, error: "invalid_request" } }
      )
  }
}

/**
 * Builds the handler (with its own per-client rate budget). Guard order: known route prefix,
 * rate budget, admin token, tenant; only then is the path looked at, so an unauthenticated
 * caller learns nothing about which ids or routes exist.
 */
export const makeDiagnosticsHandler = (options: DiagnosticsOptions) =>
  Effect.map(
    Effect.sync(() => new Map<string, Bucket>()),
    (buckets) => (request: DiagnosticsRequest): Effect.Effect<DiagnosticsResponse, never, InstallationRegistry> =>
      Effect.gen(function*() {
        const q = request.target.indexOf("?")
        const path = q < 0 ? request.target : request.target.slice(0, q)
        const query = new URLSearchParams(q < 0 ? "" : request.target.slice(q + 1))
        const prefix = DIAGNOSTICS_PREFIXES.find((p) => path.startsWith(`${p}/connector/`))
        if (prefix === undefined) return notFound
        const rest = path.slice(prefix.length)
        const target = route(rest)
        const routeName = target?.name ?? "unknown"
        if (prefix.endsWith("/moltbot")) {
          yield* Effect.logWarning(`Deprecated admin route prefix ${prefix}; use ${prefix.replace("moltbot", "openclaw")}`)
        }
        const now = yield* Clock.currentTimeMillis
        const limit = options.rateLimit ?? DEFAULT_ADMIN_RATE_LIMIT
        const retry = takeToken(buckets, request.client, now, limit)
        if (Option.isSome(retry)) return yield* refused(rateLimitRefusal(retry.value), routeName)
        const denied = checkAdminToken(options.adminToken, request.header)
        if (Option.isSome(denied)) return yield* refused(denied.value, routeName)
        const tenant = resolveRequestTenant(options.tenancy, request.header)
        if (!tenant.ok) return yield* refused(tenant.refusal, routeName)
        if (target === undefined) return notFound
        const response = yield* target.handle(tenant, query).pipe(Effect.catchAll(asResponse))
        yield* Effect.logDebug(`Admin diagnostics ${routeName} -> ${response.status}`)
        return response
      })
  )
