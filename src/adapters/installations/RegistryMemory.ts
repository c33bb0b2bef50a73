import { Effect, Layer, Option } from "effect"
import { type AuditEvent, type Installation, InstallationRegistry, type RegistryError } from "../../ports/InstallationRegistry.js"
import { makeInstallationRegistry, type RegistryOptions } from "./Registry.js"
import { AUDIT_CAP, type RegistryBackend } from "./RegistryBackend.js"
import { makeSecretVault, randomVaultKey, type SealedSecret } from "./SecretVault.js"

/**
 * The registry's rows in process memory, for tests: the same rules and the same vault as the
 * SQLite adapter (values are sealed here too, under a random per-instance key). A transaction
 * snapshots the maps and restores them when its effect fails, like a database rollback.
 */
export interface MemoryRegistryState {
  readonly records: Map<string, Installation>
  /** `<tenant>\u0000<ref>` -> sealed value (tests reach in here to tamper). */
  readonly secrets: Map<string, SealedSecret>
  readonly audit: Array<AuditEvent>
}

const secretKey = (tenantId: string, ref: string) => `${tenantId}\u0000${ref}`

export const emptyMemoryState = (): MemoryRegistryState => ({ records: new Map(), secrets: new Map(), audit: [] })

export const makeMemoryBackend = (state: MemoryRegistryState = emptyMemoryState()): RegistryBackend => ({
  find: (id) => Effect.sync(() => Option.fromNullable(state.records.get(id))),
  byWorkspace: (platform, workspaceId) =>
    Effect.sync(() => [...state.records.values()].filter((r) => r.platform === platform && r.workspaceId === workspaceId)),
  all: Effect.sync(() => [...state.records.values()]),
  save: (record) => Effect.sync(() => void state.records.set(record.installationId, record)),
  readSecret: (tenantId, ref) => Effect.sync(() => Option.fromNullable(state.secrets.get(secretKey(tenantId, ref)))),
  writeSecret: (tenantId, ref, sealed) => Effect.sync(() => void state.secrets.set(secretKey(tenantId, ref), sealed)),
  eraseSecret: (tenantId, ref) => Effect.sync(() => state.secrets.delete(secretKey(tenantId, ref))),
  secrets: Effect.sync(() =>
    [...state.secrets.entries()].map(([key, sealed]) => {
      const [tenantId = "", ref = ""] = key.split("\u0000")
      return { tenantId, ref, sealed }
    })),
  appendAudit: (event) =>
    Effect.sync(() => {
      state.audit.push(event)
      if (state.audit.length > AUDIT_CAP) state.audit.splice(0, state.audit.length - AUDIT_CAP)
    }),
  auditTrail: ({ installationId, tenantId, limit }) =>
    Effect.sync(() =>
      state.audit
        .filter((e) => (installationId === undefined || e.installationId === installationId) && (tenantId === undefined || e.tenantId === tenantId))
        .slice(-limit)),
  transaction: <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.suspend(() => {
      const records = new Map(state.records)
      const secrets = new Map(state.secrets)
      const audit = [...state.audit]
      return Effect.tapErrorCause(effect, () =>
        Effect.sync(() => {
          restore(state.records, records)
          restore(state.secrets, secrets)
          state.audit.splice(0, state.audit.length, ...audit)
        }))
    })
})

const restore = <K, V>(target: Map<K, V>, snapshot: Map<K, V>) => {
  target.clear()
  for (const [k, v] of snapshot) target.set(k, v)
}

/** A memory registry over rows the caller can reach: `state`, and `seal` to place a stored secret. */
export interface MemoryRegistry {
  readonly registry: InstallationRegistry["Type"]
  readonly state: MemoryRegistryState
  /** Stores `value` sealed for `tenantId` and `ref` as the registry would (seeding rows directly). */
  readonly seal: (tenantId: string, ref: string, value: string) => void
}

export const makeMemoryRegistry = (
  options: Partial<RegistryOptions> = {},
  state: MemoryRegistryState = emptyMemoryState()
): Effect.Effect<MemoryRegistry, RegistryError> =>
  Effect.gen(function*() {
    const vault = makeSecretVault(randomVaultKey())
    const registry = yield* makeInstallationRegistry(makeMemoryBackend(state), vault, { multiTenant: options.multiTenant ?? false })
    const seal = (tenantId: string, ref: string, value: string) =>
      void state.secrets.set(secretKey(tenantId, ref), vault.seal({ tenantId, ref }, value))
    return { registry, state, seal }
  })

export const InstallationRegistryMemory = {
  /** A fresh in-memory registry each time the layer is built (single-tenant unless asked). */
  layer: (options: Partial<RegistryOptions> = {}): Layer.Layer<InstallationRegistry, RegistryError> =>
    Layer.effect(InstallationRegistry, Effect.map(makeMemoryRegistry(options), (m) => m.registry))
}
