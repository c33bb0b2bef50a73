import { Clock, Effect, Option } from "effect"
import {
  type AuditEvent,
  type Installation,
  type InstallationHealth,
  InstallationRegistry,
  type RegistryError,
  type Resolution,
  type TenantScope
} from "../../ports/InstallationRegistry.js"
import {
  clampAuditLimit,
  invalid,
  normalizeMetadata,
  normalizePlatform,
  normalizeStatus,
  normalizeTenant,
  normalizeTokens,
  notFound,
  requireField,
  tokenRef,
  UNRESOLVABLE_HEALTH
} from "./Normalize.js"
import { AUDIT_CAP, byRecordOrder, type RegistryBackend } from "./RegistryBackend.js"
import { effectiveHealth, selectInstallation, staleRef } from "./ResolveRules.js"
import type { SecretVault } from "./SecretVault.js"

/**
 * The installation registry's rules over a RegistryBackend (spec platforms-slack-feishu §4), with
 * these deliberate choices where the reference is loose or buggy (§12 bugs 11, 26-28):
 * - upsert: token values given replace the token refs (secrets of dropped refs are erased); no
 *   values keeps the old refs. Metadata given (non-empty) replaces the old metadata wholesale;
 *   empty keeps it. Health is not metadata here and upsert never touches it (the reference lost
 *   the health block on every metadata upsert). An absent status keeps the old status (a new record
 *   starts `created`); an absent reason keeps the old reason unless the status is given.
 * - transitions are validated in one place: any record may move to revoked, deactivated or
 *   uninstalled (towards safety); `active` is refused from revoked and uninstalled (their tokens are
 *   dead or erased: a reinstall, i.e. an upsert with fresh tokens, comes first).
 * - recordHealth with the same state and reason as now writes nothing and audits nothing, so a
 *   "resolved ok" on every reply does not flood the audit trail.
 * - get, list and audit read one tenant in multi-tenant mode: the one asked for, `default` when
 *   none is named (as resolve and upsert), every tenant only with `allTenants: true`. Single-tenant
 *   mode has one tenant as far as callers are concerned: tenant ids never filter there.
 * Every mutation runs under one lock and in one backend transaction.
 */
export interface RegistryOptions {
  readonly multiTenant: boolean
}

type Details = AuditEvent["details"]

export const makeInstallationRegistry = (
  backend: RegistryBackend,
  vault: SecretVault,
  options: RegistryOptions
): Effect.Effect<InstallationRegistry["Type"], RegistryError> =>
  Effect.gen(function*() {
    const lock = yield* Effect.makeSemaphore(1)
    const mutate = <A>(effect: Effect.Effect<A, RegistryError>) => lock.withPermits(1)(backend.transaction(effect))

    const audit = (action: string, record: Installation, details: Details) =>
      Effect.gen(function*() {
        const event: AuditEvent = {
          atMillis: yield* Clock.currentTimeMillis,
          action,
          installationId: record.installationId,
          platform: record.platform,
          tenantId: record.tenantId,
          workspaceId: record.workspaceId,
          status: record.status,
          details
        }
        yield* backend.appendAudit(event)
        yield* Effect.logInfo(`connector.installation.${action}`).pipe(
          Effect.annotateLogs({
            installation: record.installationId,
            platform: record.platform,
            tenant: record.tenantId,
            workspace: record.workspaceId,
            status: record.status,
            ...details
          })
        )
      })

    const existing = (installationId: string) =>
      Effect.flatMap(backend.find(installationId), Option.match({
        onNone: () => Effect.fail(notFound(installationId)),
        onSome: Effect.succeed
      }))

    /** Re-seal a kept secret under a new tenant (its AAD changes); unreadable ones are dropped. */
    const moveSecret = (from: string, to: string, ref: string) =>
      Effect.gen(function*() {
        const sealed = yield* backend.readSecret(from, ref)
        const value = Option.flatMap(sealed, (s) => vault.open({ tenantId: from, ref }, s))
        yield* backend.eraseSecret(from, ref)
        if (Option.isSome(value)) yield* backend.writeSecret(to, ref, vault.seal({ tenantId: to, ref }, value.value))
      })

    const upsert: InstallationRegistry["Type"]["upsert"] = (input) =>
      Effect.gen(function*() {
        const platform = yield* normalizePlatform(input.platform)
        const workspaceId = yield* requireField("workspace_id", input.workspaceId)
        const installationId = yield* requireField("installation_id", input.installationId)
        const tenantId = yield* normalizeTenant(input.tenantId)
        const status = input.status === undefined ? undefined : yield* normalizeStatus(input.status)
        const tokens = yield* normalizeTokens(input.tokens)
        const metadata = yield* normalizeMetadata(input.metadata)
        return yield* mutate(Effect.gen(function*() {
          const previous = Option.getOrUndefined(yield* backend.find(installationId))
          const now = yield* Clock.currentTimeMillis
          const given: Record<string, string> = {}
          for (const [name] of tokens) given[name] = tokenRef(installationId, name)
          const refs = tokens.length > 0 ? given : { ...(previous?.tokenRefs ?? {}) }
          // No orphaned ciphertext: dropped refs are erased; kept ones follow a tenant change.
          for (const [name, ref] of Object.entries(previous?.tokenRefs ?? {})) {
            if (previous === undefined || (refs[name] === ref && previous.tenantId === tenantId)) continue
            if (refs[name] === ref && !Object.hasOwn(given, name)) yield* moveSecret(previous.tenantId, tenantId, ref)
            else yield* backend.eraseSecret(previous.tenantId, ref)
          }
          for (const [name, value] of tokens) {
            const ref = given[name]!
            yield* backend.writeSecret(tenantId, ref, vault.seal({ tenantId, ref }, value))
          }
          const record: Installation = {
            platform,
            tenantId,
            workspaceId,
            installationId,
            tokenRefs: refs,
            status: status ?? previous?.status ?? "created",
            statusReason: input.statusReason ?? (status === undefined ? previous?.statusReason ?? "" : ""),
            metadata: Object.keys(metadata).length > 0 ? metadata : previous?.metadata ?? {},
            health: previous?.health ?? Option.none(),
            createdAtMillis: previous?.createdAtMillis ?? now,
            updatedAtMillis: now
          }
          yield* backend.save(record)
          yield* audit("upsert", record, { token_ref_count: Object.keys(refs).length })
          return record
        }))
      })

    /** Each target status: its audit action, and the health it sets (with the default reason). */
    const MOVES = {
      active: { action: "activate", health: ["ok", "activated"] },
      revoked: { action: "revoke", health: ["revoked", "revoked"] },
      deactivated: { action: "deactivate", health: undefined },
      uninstalled: { action: "uninstall", health: undefined }
    } as const

    const transition: InstallationRegistry["Type"]["transition"] = (installationId, to, reason) =>
      Effect.gen(function*() {
        const id = yield* requireField("installation_id", installationId)
        const move = MOVES[to]
        return yield* mutate(Effect.gen(function*() {
          const previous = yield* existing(id)
          if (to === "active" && (previous.status === "revoked" || previous.status === "uninstalled")) {
            return yield* invalid(`Installation ${id} is ${previous.status}; reinstall it before activating`)
          }
          const now = yield* Clock.currentTimeMillis
          let erased = 0
          if (to === "uninstalled") {
            for (const ref of Object.values(previous.tokenRefs)) {
              if (yield* backend.eraseSecret(previous.tenantId, ref)) erased++
            }
          }
          let record: Installation = { ...previous, status: to, statusReason: reason, updatedAtMillis: now }
          yield* audit(move.action, record, to === "uninstalled" ? { reason, secrets_erased: erased } : { reason })
          if (move.health !== undefined) {
            const [code, fallback] = move.health
            record = { ...record, health: Option.some(healthOf(code, reason || fallback, now)) }
            yield* audit("health_update", record, { health_code: code, reason: reason || fallback })
          }
          yield* backend.save(record)
          return record
        }))
      })

    const recordHealth: InstallationRegistry["Type"]["recordHealth"] = (installationId, state, reason) =>
      Effect.gen(function*() {
        const id = yield* requireField("installation_id", installationId)
        const code = state.trim().toLowerCase() || "ok"
        yield* mutate(Effect.gen(function*() {
          const previous = yield* existing(id)
          if (Option.exists(previous.health, (h) => h.state === code && h.reason === reason)) return
          // Fail closed: a revoked or refused token is cleared only by activating the installation
          // again (a reinstall), never by a later health report (a 429, a call that was in flight).
          if (UNRESOLVABLE_HEALTH.has(effectiveHealth(previous)) && !UNRESOLVABLE_HEALTH.has(code)) return
          const now = yield* Clock.currentTimeMillis
          const record: Installation = { ...previous, health: Option.some(healthOf(code, reason, now)), updatedAtMillis: now }
          yield* backend.save(record)
          yield* audit("health_update", record, { health_code: code, reason })
        }))
      })

    const resolve: InstallationRegistry["Type"]["resolve"] = (rawPlatform, rawWorkspace, rawTenant) =>
      Effect.gen(function*() {
        const platform = yield* normalizePlatform(rawPlatform)
        const workspaceId = yield* requireField("workspace_id", rawWorkspace)
        const tenantId = yield* normalizeTenant(rawTenant)
        const selected = selectInstallation(yield* backend.byWorkspace(platform, workspaceId), tenantId, options.multiTenant)
        if (!selected.ok) return selected
        const record = selected.installation
        const tokens: Record<string, string> = {}
        for (const [name, ref] of Object.entries(record.tokenRefs)) {
          const sealed = yield* backend.readSecret(record.tenantId, ref)
          const value = Option.flatMap(sealed, (s) => vault.open({ tenantId: record.tenantId, ref }, s))
          if (Option.isNone(value)) {
            if (Option.isSome(sealed)) {
              yield* Effect.logWarning("Installation secret failed authentication; treated as missing").pipe(
                Effect.annotateLogs({ installation: record.installationId, token: name })
              )
            }
            return staleRef(name)
          }
          tokens[name] = value.value
        }
        const healthCode = Option.match(record.health, { onNone: () => "ok", onSome: (h) => h.state || "ok" })
        const ok: Resolution = { ok: true, installation: record, tokens, auditCode: "conn_install.resolve_ok", healthCode }
        return ok
      })

    /** The tenant a read is limited to, or undefined for every tenant (port: TenantScope). */
    const readScope = (scope: TenantScope = {}): Effect.Effect<string | undefined, RegistryError> =>
      !options.multiTenant || scope.allTenants === true ? Effect.succeed(undefined) : normalizeTenant(scope.tenantId)

    const get: InstallationRegistry["Type"]["get"] = (installationId, scope) =>
      Effect.gen(function*() {
        const id = yield* requireField("installation_id", installationId)
        const tenant = yield* readScope(scope)
        const record = yield* backend.find(id)
        return tenant === undefined ? record : Option.filter(record, (r) => r.tenantId === tenant)
      })

    const list: InstallationRegistry["Type"]["list"] = (filter = {}) =>
      Effect.gen(function*() {
        const platform = filter.platform === undefined ? undefined : yield* normalizePlatform(filter.platform)
        const tenant = yield* readScope(filter)
        const workspace = filter.workspaceId?.trim()
        const records = yield* backend.all
        return records
          .filter((r) =>
            (platform === undefined || r.platform === platform) &&
            (tenant === undefined || r.tenantId === tenant) &&
            (workspace === undefined || r.workspaceId === workspace) &&
            (filter.status === undefined || r.status === filter.status))
          .sort(byRecordOrder)
      })

    const auditTrail: InstallationRegistry["Type"]["audit"] = (filter = {}) =>
      Effect.gen(function*() {
        const tenant = yield* readScope(filter)
        return yield* backend.auditTrail({
          installationId: filter.installationId?.trim() || undefined,
          tenantId: tenant,
          limit: clampAuditLimit(filter.limit, AUDIT_CAP)
        })
      })

    yield* warnUnreadableSecrets(backend, vault)
    return InstallationRegistry.of({ upsert, get, list, transition, recordHealth, resolve, audit: auditTrail })
  })

const healthOf = (state: string, reason: string, now: number): InstallationHealth => ({ state, reason, updatedAtMillis: now })

/**
 * At startup: secrets that do not open under the current key (the secret key changed, or vault.key
 * was replaced) make their installations fail closed as `stale_token_ref`; say so once, loudly.
 */
const warnUnreadableSecrets = (backend: RegistryBackend, vault: SecretVault) =>
  Effect.gen(function*() {
    const secrets = yield* backend.secrets
    const unreadable = secrets.filter((s) => Option.isNone(vault.open({ tenantId: s.tenantId, ref: s.ref }, s.sealed)))
    if (unreadable.length === 0) return
    yield* Effect.logWarning(
      `${unreadable.length} of ${secrets.length} installation secrets cannot be decrypted with the current vault key ` +
        "(OPENCLAW_CONNECTOR_SECRET_KEY changed or vault.key replaced?); those installations fail closed until reinstalled."
    )
  })
