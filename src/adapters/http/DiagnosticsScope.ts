import { Option } from "effect"
import type { AuditEvent, Installation, Resolution, TenantScope } from "../../ports/InstallationRegistry.js"

/**
 * Tenant scoping of what the registry returned, applied again after the registry's own filters
 * so a registry that forgot one cannot show another tenant's records (defence in depth).
 * In multi-tenant mode a request sees only its tenant. In single-tenant mode it sees every record
 * (the reference hid records whose `tenant_id` was not `default` there, bug 27).
 */
export interface Scope {
  readonly tenantId: string
  readonly multiTenant: boolean
}

/**
 * What the registry is asked for: the request's tenant in multi-tenant mode, every record (said
 * explicitly) in single-tenant mode.
 */
export const registryScope = (scope: Scope): TenantScope =>
  scope.multiTenant ? { tenantId: scope.tenantId } : { allTenants: true }

const visible = (scope: Scope, tenantId: string) => !scope.multiTenant || tenantId === scope.tenantId

export const scopeList = (scope: Scope, installations: ReadonlyArray<Installation>): ReadonlyArray<Installation> =>
  installations.filter((i) => visible(scope, i.tenantId))

export const scopeAudit = (scope: Scope, events: ReadonlyArray<AuditEvent>): ReadonlyArray<AuditEvent> =>
  events.filter((e) => visible(scope, e.tenantId))

/** Another tenant's installation is "not found", never "forbidden": its existence is not told. */
export const scopeInstallation = (scope: Scope, found: Option.Option<Installation>): Option.Option<Installation> =>
  Option.filter(found, (i) => visible(scope, i.tenantId))

/** A resolution that names another tenant's installation is refused as a tenant mismatch. */
export const scopeResolution = (scope: Scope, resolution: Resolution): Resolution =>
  resolution.ok && !visible(scope, resolution.installation.tenantId)
    ? { ok: false, rejectReason: "tenant_mismatch", auditCode: "conn_install.resolve_tenant_mismatch", healthCode: "degraded" }
    : resolution
