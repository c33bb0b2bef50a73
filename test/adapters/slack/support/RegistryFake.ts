import { Effect, Layer, Option } from "effect"
import {
  type AuditEvent,
  type Installation,
  InstallationRegistry,
  type InstallationStatus,
  RegistryError,
  type Resolution
} from "../../../../src/ports/InstallationRegistry.js"

/**
 * An in-memory InstallationRegistry for the Slack adapter tests, following the port's contract
 * (spec §4 resolution rules, fail closed). It records health writes and transitions, and can be
 * told to fail (`down`) to exercise the registry-unavailable paths.
 */
export interface RegistryFake {
  readonly layer: Layer.Layer<InstallationRegistry>
  readonly records: Map<string, Installation>
  readonly secrets: Map<string, string>
  readonly healthWrites: Array<{ readonly installationId: string; readonly state: string; readonly reason: string }>
  readonly transitions: Array<{ readonly installationId: string; readonly to: string; readonly reason: string }>
  /** An active, healthy Slack installation `slack:<team>` with `token`. */
  install(teamId: string, token: string, metadata?: Record<string, string>): void
  /** Every call fails with RegistryError `unavailable` while true. */
  down: boolean
}

const ACTIVE: ReadonlySet<string> = new Set(["active", "rotating"])

export const makeRegistryFake = (): RegistryFake => {
  const records = new Map<string, Installation>()
  const secrets = new Map<string, string>()
  const healthWrites: RegistryFake["healthWrites"] = []
  const transitions: RegistryFake["transitions"] = []
  const audit: Array<AuditEvent> = []
  const fake = { down: false } as { down: boolean }

  const guard = <A>(f: () => A): Effect.Effect<A, RegistryError> =>
    Effect.suspend(() =>
      fake.down ? Effect.fail(new RegistryError({ reason: "unavailable", message: "registry down" })) : Effect.sync(f)
    )
  const found = (id: string) =>
    Effect.flatMap(guard(() => records.get(id)), (r) =>
      r === undefined ? Effect.fail(new RegistryError({ reason: "not-found", message: `Installation not found: ${id}` })) : Effect.succeed(r))

  const resolve = (platform: string, workspaceId: string): Effect.Effect<Resolution, RegistryError> =>
    guard(() => {
      const matches = [...records.values()].filter((r) => r.platform === platform && r.workspaceId === workspaceId)
      const eligible = matches.filter((r) => ACTIVE.has(r.status))
      const no = (rejectReason: any, healthCode: string): Resolution => ({ ok: false, rejectReason, auditCode: `conn_install.${rejectReason}`, healthCode })
      if (eligible.length > 1) return no("ambiguous_binding", "degraded")
      const one = eligible[0]
      if (one === undefined) return matches.length === 0 ? no("missing_binding", "workspace_unbound") : no("inactive_binding", "degraded")
      const health = Option.getOrUndefined(one.health)?.state ?? ""
      if (health === "invalid_token" || health === "revoked") return no("inactive_binding", health)
      const tokens: Record<string, string> = {}
      for (const [name, ref] of Object.entries(one.tokenRefs)) {
        const value = secrets.get(ref)
        if (value === undefined) return no(`stale_token_ref:${name}`, "degraded")
        tokens[name] = value
      }
      return { ok: true, installation: one, tokens, auditCode: "conn_install.resolve_ok", healthCode: health || "ok" }
    })

  const service = InstallationRegistry.of({
    upsert: (input) =>
      guard(() => {
        const refs: Record<string, string> = {}
        for (const [name, value] of Object.entries(input.tokens ?? {})) {
          const ref = `connector_installation:${input.installationId}:${name}`
          secrets.set(ref, value)
          refs[name] = ref
        }
        const record: Installation = {
          platform: input.platform,
          tenantId: input.tenantId ?? "default",
          workspaceId: input.workspaceId,
          installationId: input.installationId,
          tokenRefs: refs,
          status: input.status ?? "created",
          statusReason: input.statusReason ?? "",
          metadata: input.metadata ?? {},
          health: Option.none(),
          createdAtMillis: Date.now(),
          updatedAtMillis: Date.now()
        }
        records.set(input.installationId, record)
        return record
      }),
    get: (id) => guard(() => Option.fromNullable(records.get(id))),
    list: (filter) =>
      guard(() =>
        [...records.values()].filter((r) =>
          (filter?.platform === undefined || r.platform === filter.platform) &&
          (filter?.workspaceId === undefined || r.workspaceId === filter.workspaceId) &&
          (filter?.status === undefined || r.status === filter.status)
        )
      ),
    transition: (id, to, reason) =>
      Effect.map(found(id), (r) => {
        transitions.push({ installationId: id, to, reason })
        if (to === "uninstalled") for (const ref of Object.values(r.tokenRefs)) secrets.delete(ref)
        const next: Installation = { ...r, status: to as InstallationStatus, statusReason: reason }
        records.set(id, next)
        return next
      }),
    recordHealth: (id, state, reason) =>
      Effect.map(found(id), (r) => {
        healthWrites.push({ installationId: id, state, reason })
        records.set(id, { ...r, health: Option.some({ state, reason, updatedAtMillis: Date.now() }) })
      }),
    resolve,
    audit: () => guard(() => audit)
  })

  return Object.assign(fake, {
    layer: Layer.succeed(InstallationRegistry, service),
    records,
    secrets,
    healthWrites,
    transitions,
    install: (teamId: string, token: string, metadata: Record<string, string> = {}) => {
      const id = `slack:${teamId}`
      secrets.set(`connector_installation:${id}:bot_token`, token)
      records.set(id, {
        platform: "slack",
        tenantId: "default",
        workspaceId: teamId,
        installationId: id,
        tokenRefs: { bot_token: `connector_installation:${id}:bot_token` },
        status: "active",
        statusReason: "slack_oauth_complete",
        metadata,
        health: Option.some({ state: "ok", reason: "slack_oauth_complete", updatedAtMillis: Date.now() }),
        createdAtMillis: Date.now(),
        updatedAtMillis: Date.now()
      })
    }
  })
}
