import { Effect, Layer } from "effect"
import { makeMemoryRegistry, type MemoryRegistryState } from "../../../../src/adapters/installations/RegistryMemory.js"
import { type Installation, InstallationRegistry, RegistryError } from "../../../../src/ports/InstallationRegistry.js"

/**
 * The real in-memory InstallationRegistry (RegistryMemory.ts: the registry's own resolution rules
 * and vault) behind a thin spy for the Slack adapter tests: it records the health writes and
 * transitions the adapter asked for, and `down` makes every call fail as `unavailable`.
 */
export interface RegistrySpy {
  readonly layer: Layer.Layer<InstallationRegistry>
  /** The registry's rows (tests read records and sealed secrets here, or delete a record). */
  readonly state: MemoryRegistryState
  /** recordHealth calls, in order (whether or not the registry changed anything). */
  readonly healthWrites: Array<{ readonly installationId: string; readonly state: string; readonly reason: string }>
  readonly transitions: Array<{ readonly installationId: string; readonly to: string; readonly reason: string }>
  /** An active, healthy Slack installation `slack:<team>` with `token`, installed as OAuth does. */
  install(teamId: string, token: string, metadata?: Record<string, string>): void
  record(installationId: string): Installation | undefined
  /** Whether the default tenant holds a sealed secret under `ref`. */
  hasSecret(ref: string): boolean
  /** Every call fails with RegistryError `unavailable` while true. */
  down: boolean
}

export const makeRegistrySpy = (): RegistrySpy => {
  const { registry, state } = Effect.runSync(makeMemoryRegistry())
  const healthWrites: RegistrySpy["healthWrites"] = []
  const transitions: RegistrySpy["transitions"] = []
  const spy = { down: false } as { down: boolean }
  const guard = <A>(effect: () => Effect.Effect<A, RegistryError>): Effect.Effect<A, RegistryError> =>
    Effect.suspend(() => (spy.down ? Effect.fail(new RegistryError({ reason: "unavailable", message: "registry down" })) : effect()))

  const service = InstallationRegistry.of({
    upsert: (input) => guard(() => registry.upsert(input)),
    get: (id, scope) => guard(() => registry.get(id, scope)),
    list: (filter) => guard(() => registry.list(filter)),
    transition: (installationId, to, reason) =>
      guard(() => {
        transitions.push({ installationId, to, reason })
        return registry.transition(installationId, to, reason)
      }),
    recordHealth: (installationId, health, reason) =>
      guard(() => {
        healthWrites.push({ installationId, state: health, reason })
        return registry.recordHealth(installationId, health, reason)
      }),
    resolve: (platform, workspaceId, tenantId) => guard(() => registry.resolve(platform, workspaceId, tenantId)),
    audit: (filter) => guard(() => registry.audit(filter))
  })

  return Object.assign(spy, {
    layer: Layer.succeed(InstallationRegistry, service),
    state,
    healthWrites,
    transitions,
    install: (teamId: string, token: string, metadata: Record<string, string> = {}) =>
      Effect.runSync(Effect.gen(function*() {
        const installationId = `slack:${teamId}`
        yield* registry.upsert({ platform: "slack", workspaceId: teamId, installationId, tokens: { bot_token: token }, metadata })
        yield* registry.transition(installationId, "active", "slack_oauth_complete")
      }).pipe(Effect.orDie)),
    record: (installationId: string) => state.records.get(installationId),
    hasSecret: (ref: string) => state.secrets.has(`default\u0000${ref}`)
  })
}
