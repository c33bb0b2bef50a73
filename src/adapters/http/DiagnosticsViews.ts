import { Option } from "effect"
import type { AuditEvent, Installation, Resolution } from "../../ports/InstallationRegistry.js"
import { effectiveHealth } from "../installations/ResolveRules.js"

/**
 * The public JSON shapes of the admin diagnostics API (spec platforms-slack-feishu §4
 * `to_public_dict`, resolution and audit dicts, `diagnostics()`). They are built field by field
 * from the port's records, so a token value can only reach a response if a registry put it
 * into a public field; as a second line of defence, metadata and audit details whose key names a
 * secret, or whose value has the shape of a platform token, are replaced by `[redacted]`.
 * Timestamps are epoch seconds (floats), as the reference returns them.
 */

export const REDACTED = "[redacted]"

/** Key names that hold secrets (`token_type`, `token_ref_count`, `*_id` are facts, not secrets). */
const SECRET_KEY = /(secret|password|passwd|credential|private|api_?key|encrypt_?key|(^|_)token$|access_token|refresh_token|bot_token|app_token)/i
/** Values shaped like Slack/Discord/Telegram/Feishu tokens or bearer strings. */
const SECRET_VALUE = /(\bxox[a-z]-|\bxapp-|\bbearer\s|\b\d{6,}:[A-Za-z0-9_-]{30,}|\bt-[a-z0-9]{20,})/i

const redactEntry = (key: string, value: string | number | boolean): string | number | boolean =>
  SECRET_KEY.test(key) || (typeof value === "string" && SECRET_VALUE.test(value)) ? REDACTED : value

export const redactRecord = <V extends string | number | boolean>(
  record: Readonly<Record<string, V>>
): Record<string, V | string> => {
  const out: Record<string, V | string> = {}
  for (const [key, value] of Object.entries(record)) out[key] = redactEntry(key, value) as V | string
  return out
}

const seconds = (millis: number) => millis / 1000

/** Refs are names, not secrets (`connector_installation:<id>:<name>`); anything else is hidden. */
const publicRefs = (refs: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, ref] of Object.entries(refs)) out[name] = SECRET_VALUE.test(ref) ? REDACTED : ref
  return out
}

export const installationView = (installation: Installation) => {
  const metadata: Record<string, unknown> = redactRecord(installation.metadata)
  if (Option.isSome(installation.health)) {
    const health = installation.health.value
    metadata.health = {
      state: health.state,
      reason: redactEntry("reason", health.reason),
      updated_at: seconds(health.updatedAtMillis),
      details: {}
    }
  }
  return {
    platform: installation.platform,
    tenant_id: installation.tenantId,
    workspace_id: installation.workspaceId,
    installation_id: installation.installationId,
    token_refs: publicRefs(installation.tokenRefs),
    status: installation.status,
    status_reason: redactEntry("status_reason", installation.statusReason),
    created_at: seconds(installation.createdAtMillis),
    updated_at: seconds(installation.updatedAtMillis),
    metadata
  }
}

/** The resolution's public dict: never the resolved tokens (`Resolution.tokens` stays inside). */
export const resolutionView = (resolution: Resolution) =>
  resolution.ok
    ? {
      ok: true,
      reject_reason: "",
      audit_code: resolution.auditCode,
      health_code: resolution.healthCode,
      installation: installationView(resolution.installation)
    }
    : {
      ok: false,
      reject_reason: resolution.rejectReason,
      audit_code: resolution.auditCode,
      health_code: resolution.healthCode
    }

export const auditView = (event: AuditEvent) => ({
  timestamp: seconds(event.atMillis),
  action: event.action,
  installation_id: event.installationId,
  platform: event.platform,
  tenant_id: event.tenantId,
  workspace_id: event.workspaceId,
  status: event.status,
  details: redactRecord(event.details)
})

const countBy = (values: ReadonlyArray<string>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}

/**
 * `diagnostics(tenant)`: counts over the tenant's installations, health as resolution reads it
 * (ResolveRules.ts `effectiveHealth`, "" counted as `ok`). `audit_events` counts the
 * tenant's events (the reference counted every tenant's, bug 27), at most the 500 the trail holds.
 */
export const diagnosticsView = (installations: ReadonlyArray<Installation>, auditEvents: number) => ({
  installation_count: installations.length,
  status_counts: countBy(installations.map((i) => i.status)),
  health_counts: countBy(installations.map((i) => effectiveHealth(i) || "ok")),
  audit_events: auditEvents
})
