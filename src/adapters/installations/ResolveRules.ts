import { Option } from "effect"
import type { Installation, ResolveRejection } from "../../ports/InstallationRegistry.js"
import { RESOLVABLE_STATUSES, UNRESOLVABLE_HEALTH } from "./Normalize.js"
import { byRecordOrder } from "./RegistryBackend.js"

/**
 * Resolution rules 2-6 of spec platforms-slack-feishu §4, pure: which single record may serve a
 * workspace, or why none may. Rule 7 (every token secret present and authentic) needs the vault
 * and lives in Registry.ts; rule 1 (normalisation) happens before this is called.
 */

export type Rejected = {
  readonly ok: false
  readonly rejectReason: ResolveRejection
  readonly auditCode: string
  readonly healthCode: string
}

export type Candidate = { readonly ok: true; readonly installation: Installation }

/**
 * A record's effective health (§4): its health state, trimmed and lower-cased, else `revoked` for
 * a revoked status, else "" (counted as `ok`). Resolution, recordHealth and the diagnostics counts
 * all read it from here.
 */
export const effectiveHealth = (record: Installation): string => {
  const state = Option.match(record.health, { onNone: () => "", onSome: (h) => h.state.trim().toLowerCase() })
  if (state !== "") return state
  return record.status === "revoked" ? "revoked" : ""
}

const reject = (rejectReason: ResolveRejection, auditCode: string, healthCode: string): Rejected => ({
  ok: false,
  rejectReason,
  auditCode,
  healthCode
})

/**
 * `sameWorkspace`: every record with the requested platform and exact workspace id (rule 2).
 * `tenantId` is only consulted in multi-tenant mode (rule 3).
 */
export const selectInstallation = (
  sameWorkspace: ReadonlyArray<Installation>,
  tenantId: string,
  multiTenant: boolean
): Rejected | Candidate => {
  let matches = [...sameWorkspace].sort(byRecordOrder)
  if (multiTenant) {
    const inTenant = matches.filter((r) => r.tenantId === tenantId)
    if (inTenant.length === 0 && matches.length > 0) {
      return reject("tenant_mismatch", "conn_install.resolve_tenant_mismatch", "degraded")
    }
    matches = inTenant
  }
  const eligible = matches.filter((r) => RESOLVABLE_STATUSES.has(r.status))
  if (eligible.length > 1) return reject("ambiguous_binding", "conn_install.resolve_ambiguous", "degraded")
  const record = eligible[0]
  if (record === undefined) {
    const first = matches[0]
    if (first === undefined) return reject("missing_binding", "conn_install.resolve_missing", "workspace_unbound")
    return reject("inactive_binding", "conn_install.resolve_inactive", effectiveHealth(first) || "degraded")
  }
  const health = effectiveHealth(record)
  if (UNRESOLVABLE_HEALTH.has(health)) return reject("inactive_binding", "conn_install.resolve_unhealthy", health)
  return { ok: true, installation: record }
}

/** Rule 7: the first token (in ref order) whose secret is missing or does not authenticate. */
export const staleRef = (tokenName: string): Rejected =>
  reject(`stale_token_ref:${tokenName}`, "conn_install.resolve_stale_ref", "degraded")
