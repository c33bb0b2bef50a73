import { Context, type Effect, type Option, Schema } from "effect"

/**
 * Platform installations (a Slack workspace, later Feishu tenants) and their tokens, one registry
 * per process (spec platforms-slack-feishu §4, bug "multiple registry instances" fixed). Records
 * hold token *refs* only; the values live in the SecretVault, encrypted. Resolution is fail
 * closed: a workspace gets a token only when exactly one active, healthy record with every secret
 * present matches it.
 */
export const INSTALLATION_STATUSES = ["created", "active", "rotating", "revoked", "deactivated", "uninstalled"] as const
export type InstallationStatus = typeof INSTALLATION_STATUSES[number]

/** ok | invalid_token | revoked | degraded | rate_limited ... (lower case; "" when never set). */
export interface InstallationHealth {
  readonly state: string
  readonly reason: string
  readonly updatedAtMillis: number
}

export interface Installation {
  readonly platform: string
  readonly tenantId: string
  readonly workspaceId: string
  readonly installationId: string
  /** token name (`bot_token`) -> ref (`connector_installation:<installation_id>:<name>`). */
  readonly tokenRefs: Readonly<Record<string, string>>
  readonly status: InstallationStatus
  readonly statusReason: string
  /** Public, non-secret facts (Slack `bot_user_id`, `team_name`, `app_id`...). */
  readonly metadata: Readonly<Record<string, string>>
  readonly health: Option.Option<InstallationHealth>
  readonly createdAtMillis: number
  readonly updatedAtMillis: number
}

export type ResolveRejection =
  | "missing_binding"
  | "ambiguous_binding"
  | "inactive_binding"
  | "tenant_mismatch"
  | `stale_token_ref:${string}`

export type Resolution =
  | { readonly ok: true; readonly installation: Installation; readonly tokens: Readonly<Record<string, string>>; readonly auditCode: string; readonly healthCode: string }
  | { readonly ok: false; readonly rejectReason: ResolveRejection; readonly auditCode: string; readonly healthCode: string }

export interface AuditEvent {
  readonly atMillis: number
  readonly action: string
  readonly installationId: string
  readonly platform: string
  readonly tenantId: string
  readonly workspaceId: string
  readonly status: string
  readonly details: Readonly<Record<string, string | number | boolean>>
}

export class RegistryError extends Schema.TaggedError<RegistryError>()("RegistryError", {
  reason: Schema.Literal("invalid", "not-found", "unavailable"),
  message: Schema.String
}) {}

export interface UpsertInstallation {
  readonly platform: string
  readonly tenantId?: string
  readonly workspaceId: string
  readonly installationId: string
  /** Token values to store (encrypted) under refs derived from the installation id. */
  readonly tokens?: Readonly<Record<string, string>>
  readonly status?: InstallationStatus
  readonly statusReason?: string
  readonly metadata?: Readonly<Record<string, string>>
}

/**
 * Which tenant a read is about. Multi-tenant mode: `tenantId` absent or "" means `default` (as in
 * `resolve` and `upsert`); `allTenants: true` reads every tenant (and wins over `tenantId`), for the
 * callers that must see a record wherever it lives (lifecycle events closing a workspace, an
 * operator's single-tenant listing). Single-tenant mode has one tenant as far as callers are
 * concerned: tenant ids are kept on records but never filter.
 */
export interface TenantScope {
  readonly tenantId?: string | undefined
  readonly allTenants?: boolean | undefined
}

export interface InstallationFilter extends TenantScope {
  readonly platform?: string
  readonly workspaceId?: string
  readonly status?: InstallationStatus
}

export interface AuditFilter extends TenantScope {
  readonly installationId?: string
  /** 1..500, default 100. */
  readonly limit?: number
}

export class InstallationRegistry extends Context.Tag("ports/InstallationRegistry")<InstallationRegistry, {
  readonly upsert: (input: UpsertInstallation) => Effect.Effect<Installation, RegistryError>
  /** The installation with this id, when it is in the scope's tenant (see TenantScope). */
  readonly get: (installationId: string, scope?: TenantScope) => Effect.Effect<Option.Option<Installation>, RegistryError>
  /** Matching installations of the filter's tenant (see TenantScope), in record order. */
  readonly list: (filter?: InstallationFilter) => Effect.Effect<ReadonlyArray<Installation>, RegistryError>
  /** activate | revoke | deactivate | uninstall (uninstall also erases every referenced secret). */
  readonly transition: (
    installationId: string,
    to: "active" | "revoked" | "deactivated" | "uninstalled",
    reason: string
  ) => Effect.Effect<Installation, RegistryError>
  /**
   * Sets the health state. A record whose health is `invalid_token` or `revoked` keeps it: only
   * activating the installation again (a reinstall) clears it, never a later health report.
   */
  readonly recordHealth: (installationId: string, state: string, reason: string) => Effect.Effect<void, RegistryError>
  /** Fail-closed resolution of the one installation serving `workspaceId` in `tenantId` (absent: `default`; spec §4 rules 1-8). */
  readonly resolve: (platform: string, workspaceId: string, tenantId?: string) => Effect.Effect<Resolution, RegistryError>
  /** The filter's tenant's events (see TenantScope), newest last, at most `limit`. */
  readonly audit: (filter?: AuditFilter) => Effect.Effect<ReadonlyArray<AuditEvent>, RegistryError>
}>() {}
