import { Effect, Layer, Option } from "effect"
import { makeMemoryRegistry } from "../../../src/adapters/installations/RegistryMemory.js"
import {
  type AuditEvent,
  type Installation,
  type InstallationHealth,
  InstallationRegistry,
  type InstallationStatus,
  RegistryError
} from "../../../src/ports/InstallationRegistry.js"

/**
 * The real in-memory InstallationRegistry (RegistryMemory.ts: the registry's resolution rules,
 * tenant scoping and sealed secrets) with rows seeded directly, so records carry fixed timestamps
 * and health, behind a thin spy: `calls` records what the API asked, `down` fails every call as
 * unavailable, and `leaky` drops every tenant filter (to prove the API scopes results itself).
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

export interface SeedOptions {
  readonly multiTenant?: boolean
  readonly leaky?: boolean
  readonly down?: boolean
  /** Refs whose secret is not stored (stale). */
  readonly dropSecrets?: ReadonlyArray<string>
}

export const refFor = (installationId: string, name: string) => `connector_installation:${installationId}:${name}`

export const makeSeededRegistry = (seed: ReadonlyArray<SeedRecord>, options: SeedOptions = {}) => {
  const { registry, state, seal } = Effect.runSync(makeMemoryRegistry({ multiTenant: options.multiTenant ?? false }))
  /** Every token value seeded (none may ever appear in a response). */
  const secrets: Array<string> = []
  seed.forEach((r, i) => {
    const tokenRefs: Record<string, string> = {}
    for (const [name, value] of Object.entries(r.tokens)) {
      const ref = refFor(r.installationId, name)
      tokenRefs[name] = ref
      secrets.push(value)
      if (!(options.dropSecrets ?? []).includes(ref)) seal(r.tenantId, ref, value)
    }
    const record: Installation = {
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
    state.records.set(r.installationId, record)
    const event = (atMillis: number, action: string, status: string, details: AuditEvent["details"]): AuditEvent => ({
      atMillis, action, installationId: r.installationId, platform: r.platform, tenantId: r.tenantId, workspaceId: r.workspaceId, status, details
    })
    state.audit.push(
      event(1_700_000_000_000 + i, "upsert", "created", { token_ref_count: Object.keys(tokenRefs).length }),
      event(1_700_000_000_500 + i, "activate", r.status, { reason: "test" })
    )
  })

  const calls: Array<{ readonly op: string; readonly args: unknown }> = []
  const spy = <A>(op: string, args: unknown, effect: () => Effect.Effect<A, RegistryError>): Effect.Effect<A, RegistryError> =>
    Effect.suspend(() => {
      calls.push({ op, args })
      return options.down === true ? Effect.fail(new RegistryError({ reason: "unavailable", message: "database is locked" })) : effect()
    })
  const leak = <F extends object>(filter: F | undefined): F => (options.leaky === true ? { ...filter, allTenants: true } as F : filter ?? {} as F)
  const service = InstallationRegistry.of({
    upsert: () => Effect.die("not used by diagnostics"),
    transition: () => Effect.die("not used by diagnostics"),
    recordHealth: () => Effect.die("not used by diagnostics"),
    get: (id, scope) => spy("get", { id, scope }, () => registry.get(id, leak(scope))),
    list: (filter) => spy("list", filter, () => registry.list(leak(filter))),
    // A leaky resolve answers from the default tenant whatever tenant was asked for.
    resolve: (platform, workspaceId, tenantId) =>
      spy("resolve", { platform, workspaceId, tenantId }, () => registry.resolve(platform, workspaceId, options.leaky === true ? undefined : tenantId)),
    audit: (filter) => spy("audit", filter, () => registry.audit(leak(filter)))
  })
  return { layer: Layer.succeed(InstallationRegistry, service), secrets, calls }
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
