import { Effect, Layer, Option } from "effect"
import {
  type AuditEvent,
  type Installation,
  type InstallationHealth,
  InstallationRegistry,
  type InstallationStatus,
  RegistryError,
  type Resolution
} from "../../../src/ports/InstallationRegistry.js"

/**
 * An in-memory InstallationRegistry for the diagnostics tests, with the spec §4 resolution
 * rules and a "vault" holding the token values (which the API must never show). `leaky` makes
 * it ignore tenant filters, to prove the API scopes results itself; `down` makes every call fail
 * as unavailable.
 */
export interface SeedRecord {
  readonly platform: string
  readonly tenantId: string
  readonly workspaceId: string
  readonly installationId: string
  readonly status: InstallationStatus
  readonly tokens: Readonly<Record<string, string>>
  readonly metadata?: Readonly<Record<string, string>>
  readonly health?: InstallationHealth
  readonly statusReason?: string
}

export interface DoubleOptions {
  readonly multiTenant?: boolean
  readonly leaky?: boolean
  readonly down?: boolean
  /** Refs whose secret is missing from the vault (stale). */
  readonly dropSecrets?: ReadonlyArray<string>
}

const RESOLVABLE: ReadonlyArray<InstallationStatus> = ["active", "rotating"]

export const refFor = (installationId: string, name: string) => `connector_installation:${installationId}:${name}`

export const makeRegistryDouble = (seed: ReadonlyArray<SeedRecord>, options: DoubleOptions = {}) => {
  const vault = new Map<string, string>()
  const installations: Array<Installation> = seed.map((r, i) => {
    const tokenRefs: Record<string, string> = {}
    for (const [name, value] of Object.entries(r.tokens)) {
      const ref = refFor(r.installationId, name)
      tokenRefs[name] = ref
      if (!(options.dropSecrets ?? []).includes(ref)) vault.set(`${r.tenantId}::${ref}`, value)
    }
    return {
      platform: r.platform,
      tenantId: r.tenantId,
      workspaceId: r.workspaceId,
      installationId: r.installationId,
      tokenRefs,
      status: r.status,
      statusReason: r.statusReason ?? "",
      metadata: r.metadata ?? {},
      health: Option.fromNullable(r.health),
      createdAtMillis: 1_700_000_000_000 + i,
      updatedAtMillis: 1_700_000_100_000 + i
    }
  })
  const events: Array<AuditEvent> = installations.flatMap((inst, i): Array<AuditEvent> => [
    { atMillis: 1_700_000_000_000 + i, action: "upsert", installationId: inst.installationId, platform: inst.platform, tenantId: inst.tenantId, workspaceId: inst.workspaceId, status: "created", details: { token_ref_count: Object.keys(inst.tokenRefs).length } },
    { atMillis: 1_700_000_000_500 + i, action: "activate", installationId: inst.installationId, platform: inst.platform, tenantId: inst.tenantId, workspaceId: inst.workspaceId, status: inst.status, details: { reason: "test" } }
  ])
  const tenantOk = (wanted: string | undefined, actual: string) =>
    options.leaky === true || wanted === undefined || wanted === actual
  const guard = <A>(effect: Effect.Effect<A, RegistryError>) =>
    options.down === true ? Effect.fail(new RegistryError({ reason: "unavailable", message: "database is locked" })) : effect
  const health = (i: Installation) => {
    const state = Option.match(i.health, { onNone: () => "", onSome: (h) => h.state })
    return state !== "" ? state : i.status === "revoked" ? "revoked" : ""
  }

  const resolve = (platform: string, workspaceId: string, tenantId?: string): Resolution => {
    const tenant = tenantId ?? "default"
    let matches = installations.filter((i) => i.platform === platform.trim().toLowerCase() && i.workspaceId === workspaceId.trim())
    if (options.multiTenant === true && options.leaky !== true) {
      const mine = matches.filter((i) => i.tenantId === tenant)
      if (mine.length === 0 && matches.length > 0) {
        return { ok: false, rejectReason: "tenant_mismatch", auditCode: "conn_install.resolve_tenant_mismatch", healthCode: "degraded" }
      }
      matches = mine
    }
    const eligible = matches.filter((i) => RESOLVABLE.includes(i.status))
    if (eligible.length > 1) return { ok: false, rejectReason: "ambiguous_binding", auditCode: "conn_install.resolve_ambiguous", healthCode: "degraded" }
    if (eligible.length === 0) {
      return matches.length === 0
        ? { ok: false, rejectReason: "missing_binding", auditCode: "conn_install.resolve_missing", healthCode: "workspace_unbound" }
        : { ok: false, rejectReason: "inactive_binding", auditCode: "conn_install.resolve_inactive", healthCode: health(matches[0]!) || "degraded" }
    }
    const one = eligible[0]!
    if (["invalid_token", "revoked"].includes(health(one))) {
      return { ok: false, rejectReason: "inactive_binding", auditCode: "conn_install.resolve_unhealthy", healthCode: health(one) }
    }
    const tokens: Record<string, string> = {}
    for (const [name, ref] of Object.entries(one.tokenRefs)) {
      const value = vault.get(`${one.tenantId}::${ref}`)
      if (value === undefined) return { ok: false, rejectReason: `stale_token_ref:${name}`, auditCode: "conn_install.resolve_stale_ref", healthCode: "degraded" }
      tokens[name] = value
    }
    return { ok: true, installation: one, tokens, auditCode: "conn_install.resolve_ok", healthCode: health(one) || "ok" }
  }

  const calls: Array<{ readonly op: string; readonly args: unknown }> = []
  const service = InstallationRegistry.of({
    upsert: () => Effect.die("not used by diagnostics"),
    transition: () => Effect.die("not used by diagnostics"),
    recordHealth: () => Effect.die("not used by diagnostics"),
    get: (installationId, tenantId) =>
      guard(Effect.sync(() => {
        calls.push({ op: "get", args: { installationId, tenantId } })
        const found = installations.find((i) => i.installationId === installationId.trim())
        return Option.filter(Option.fromNullable(found), (i) => options.multiTenant !== true || tenantOk(tenantId, i.tenantId))
      })),
    list: (filter = {}) =>
      guard(Effect.sync(() => {
        calls.push({ op: "list", args: filter })
        return installations
          .filter((i) =>
            (filter.platform === undefined || i.platform === filter.platform) &&
            (filter.workspaceId === undefined || i.workspaceId === filter.workspaceId) &&
            (filter.status === undefined || i.status === filter.status) &&
            tenantOk(filter.tenantId, i.tenantId)
          )
          .sort((a, b) =>
            a.platform.localeCompare(b.platform) || a.tenantId.localeCompare(b.tenantId) ||
            a.workspaceId.localeCompare(b.workspaceId) || a.installationId.localeCompare(b.installationId)
          )
      })),
    resolve: (platform, workspaceId, tenantId) =>
      guard(Effect.sync(() => {
        calls.push({ op: "resolve", args: { platform, workspaceId, tenantId } })
        return resolve(platform, workspaceId, tenantId)
      })),
    audit: (filter = {}) =>
      guard(Effect.sync(() => {
        calls.push({ op: "audit", args: filter })
        const limit = Math.max(1, Math.min(filter.limit ?? 100, 500))
        return events
          .filter((e) =>
            (filter.installationId === undefined || e.installationId === filter.installationId) && tenantOk(filter.tenantId, e.tenantId)
          )
          .slice(-limit)
      }))
  })
  return { layer: Layer.succeed(InstallationRegistry, service), vault, calls, installations, events }
}

/** Two tenants, every status, several health codes. */
export const populated: ReadonlyArray<SeedRecord> = [
  {
    platform: "slack", tenantId: "default", workspaceId: "T1", installationId: "slack:T1", status: "active",
    tokens: { bot_token: "xoxb-first-secret-value" },
    metadata: { workspace_name: "Workspace One", bot_user_id: "U_BOT_1", token_type: "bot" },
    health: { state: "ok", reason: "slack_oauth_complete", updatedAtMillis: 1_700_000_200_000 },
    statusReason: "slack_oauth_complete"
  },
  {
    platform: "slack", tenantId: "default", workspaceId: "T2", installationId: "slack:T2", status: "active",
    tokens: { bot_token: "xoxb-second-secret-value" },
    health: { state: "invalid_token", reason: "HTTP 401", updatedAtMillis: 1_700_000_300_000 }
  },
  { platform: "slack", tenantId: "default", workspaceId: "T3", installationId: "slack:T3", status: "revoked", tokens: { bot_token: "xoxb-third-secret-value" } },
  { platform: "slack", tenantId: "default", workspaceId: "T4", installationId: "slack:T4", status: "created", tokens: {} },
  {
    platform: "feishu", tenantId: "tenant-a", workspaceId: "tenant-alpha", installationId: "feishu:acct-alpha", status: "active",
    tokens: { app_secret: "sec_alpha_secret_value" }, metadata: { account_id: "acct-alpha", domain: "feishu" }
  },
  {
    platform: "feishu", tenantId: "tenant-b", workspaceId: "tenant-beta", installationId: "feishu:acct-beta", status: "rotating",
    tokens: { app_secret: "sec_beta_secret_value" },
    health: { state: "degraded", reason: "rate limited", updatedAtMillis: 1_700_000_400_000 }
  },
  { platform: "slack", tenantId: "tenant-a", workspaceId: "TA", installationId: "slack:TA", status: "deactivated", tokens: { bot_token: "xoxb-tenant-a-secret" } }
]
