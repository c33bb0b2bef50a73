import type { Effect, Option } from "effect"
import type { AuditEvent, Installation, RegistryError } from "../../ports/InstallationRegistry.js"
import type { SealedSecret } from "./SecretVault.js"

/**
 * Where the registry keeps its rows: installations, sealed secrets and the audit trail. The
 * registry's rules (Registry.ts) run over this; memory (tests) and SQLite implement it. Nothing
 * is cached in the registry itself, so every reader sees the last committed write (the
 * reference's "several registry instances overwrite each other" cannot happen).
 */
export interface RegistryBackend {
  readonly find: (installationId: string) => Effect.Effect<Option.Option<Installation>, RegistryError>
  /** Records of one platform and exact workspace id, any tenant. */
  readonly byWorkspace: (platform: string, workspaceId: string) => Effect.Effect<ReadonlyArray<Installation>, RegistryError>
  readonly all: Effect.Effect<ReadonlyArray<Installation>, RegistryError>
  /** Insert or replace the record with this installation id. */
  readonly save: (record: Installation) => Effect.Effect<void, RegistryError>
  readonly readSecret: (tenantId: string, ref: string) => Effect.Effect<Option.Option<SealedSecret>, RegistryError>
  readonly writeSecret: (tenantId: string, ref: string, sealed: SealedSecret) => Effect.Effect<void, RegistryError>
  /** `true` when a secret was there. */
  readonly eraseSecret: (tenantId: string, ref: string) => Effect.Effect<boolean, RegistryError>
  /** Every stored secret's scope and sealed value (the startup key check). */
  readonly secrets: Effect.Effect<ReadonlyArray<{ readonly tenantId: string; readonly ref: string; readonly sealed: SealedSecret }>, RegistryError>
  /** Appends, then keeps only the newest AUDIT_CAP events. */
  readonly appendAudit: (event: AuditEvent) => Effect.Effect<void, RegistryError>
  /** Matching events, oldest first, the newest `limit` of them. */
  readonly auditTrail: (filter: {
    readonly installationId: string | undefined
    readonly tenantId: string | undefined
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<AuditEvent>, RegistryError>
  /** Runs `effect` atomically: all of its writes land, or (on failure) none do. */
  readonly transaction: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E | RegistryError>
}

/** The audit trail keeps the last 500 events (spec §4 "Audit trail"). */
export const AUDIT_CAP = 500

/** Deterministic order for lists and "the first match": platform, tenant, workspace, installation id. */
export const byRecordOrder = (a: Installation, b: Installation): number =>
  compare(a.platform, b.platform) || compare(a.tenantId, b.tenantId) || compare(a.workspaceId, b.workspaceId) ||
  compare(a.installationId, b.installationId)

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
