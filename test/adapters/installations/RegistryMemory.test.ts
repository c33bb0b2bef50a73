import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Option } from "effect"
import { makeInstallationRegistry } from "../../../src/adapters/installations/Registry.js"
import { InstallationRegistryMemory, makeMemoryBackend, type MemoryRegistryState } from "../../../src/adapters/installations/RegistryMemory.js"
import { makeSecretVault, randomVaultKey } from "../../../src/adapters/installations/SecretVault.js"
import { INSTALLATION_STATUSES, type InstallationStatus } from "../../../src/ports/InstallationRegistry.js"
import { registryContract, slackInstall } from "./registryContract.js"
import { registryTenancyContract } from "./registryTenancy.js"

registryContract("memory", (options) => InstallationRegistryMemory.layer(options))
registryTenancyContract("memory", (options) => InstallationRegistryMemory.layer(options))

/** A memory registry whose rows the test can reach (to tamper with stored secrets). */
const open = (multiTenant = false) =>
  Effect.gen(function*() {
    const state: MemoryRegistryState = { records: new Map(), secrets: new Map(), audit: [] }
    const registry = yield* makeInstallationRegistry(makeMemoryBackend(state), makeSecretVault(randomVaultKey()), { multiTenant })
    return { registry, state }
  })

const flipBit = (base64: string, bit: number): string => {
  const bytes = Buffer.from(base64, "base64")
  const i = Math.floor(bit / 8) % bytes.length
  bytes[i] = bytes[i]! ^ (1 << (bit % 8))
  return bytes.toString("base64")
}

const HEALTH = ["", "ok", "degraded", "invalid_token", "revoked", "INVALID_TOKEN", "rate_limited"] as const

describe("InstallationRegistry memory: security properties", () => {
  it.effect("uninstall leaves no sealed secret behind", () =>
    Effect.gen(function*() {
      const { registry, state } = yield* open()
      yield* registry.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-1", app_token: "xapp-1" } }))
      yield* registry.upsert(slackInstall("T2"))
      expect(state.secrets.size).toBe(3)
      yield* registry.transition("slack:T1", "uninstalled", "gone")
      expect([...state.secrets.keys()]).toEqual(["default\u0000connector_installation:slack:T2:bot_token"])
    }))

  it.effect("a token replaced by an upsert without it erases the dropped secret", () =>
    Effect.gen(function*() {
      const { registry, state } = yield* open()
      yield* registry.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-1", app_token: "xapp-1" } }))
      yield* registry.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-2" } }))
      expect(state.secrets.size).toBe(1)
    }))

  it.effect("moving an installation to another tenant leaves no ciphertext under the old one", () =>
    Effect.gen(function*() {
      const { registry, state } = yield* open(true)
      yield* registry.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-1", app_token: "xapp-1" } }))
      yield* registry.upsert(slackInstall("T1", { tenantId: "acme", tokens: { bot_token: "xoxb-2", app_token: "xapp-2" } }))
      expect([...state.secrets.keys()].every((k) => k.startsWith("acme\u0000"))).toBe(true)
      expect(state.secrets.size).toBe(2)
      expect(yield* registry.resolve("slack", "T1", "acme")).toMatchObject({ tokens: { bot_token: "xoxb-2", app_token: "xapp-2" } })
    }))

  it.effect("a failed mutation leaves nothing behind (rollback)", () =>
    Effect.gen(function*() {
      const { registry, state } = yield* open()
      yield* registry.upsert(slackInstall("T1"))
      yield* registry.transition("slack:T1", "revoked", "")
      const before = { records: [...state.records.values()], audit: state.audit.length }
      yield* Effect.flip(registry.transition("slack:T1", "active", ""))
      expect([...state.records.values()]).toEqual(before.records)
      expect(state.audit.length).toBe(before.audit)
    }))

  it.effect.prop(
    "any tampering with a stored ciphertext or nonce never yields a token (stale_token_ref instead)",
    { value: fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s.trim() !== ""), inNonce: fc.boolean(), bit: fc.nat() },
    ({ value, inNonce, bit }) =>
      Effect.gen(function*() {
        const { registry, state } = yield* open()
        yield* registry.upsert(slackInstall("T1", { tokens: { bot_token: value } }))
        const [key, sealed] = [...state.secrets.entries()][0]!
        state.secrets.set(key, inNonce ? { ...sealed, nonce: flipBit(sealed.nonce, bit) } : { ...sealed, ciphertext: flipBit(sealed.ciphertext, bit) })
        const resolved = yield* registry.resolve("slack", "T1")
        expect(resolved).toEqual({
          ok: false,
          rejectReason: "stale_token_ref:bot_token",
          auditCode: "conn_install.resolve_stale_ref",
          healthCode: "degraded"
        })
      })
  )

  it.effect.prop(
    "resolution never returns a token for a non-resolvable status or an unhealthy record",
    {
      records: fc.array(
        fc.record({
          workspace: fc.constantFrom("T1", "T2"),
          status: fc.constantFrom(...INSTALLATION_STATUSES),
          health: fc.constantFrom(...HEALTH),
          tenant: fc.constantFrom("default", "acme")
        }),
        { maxLength: 6 }
      ),
      multiTenant: fc.boolean(),
      ask: fc.record({ workspace: fc.constantFrom("T1", "T2"), tenant: fc.constantFrom("default", "acme") })
    },
    ({ records, multiTenant, ask }) =>
      Effect.gen(function*() {
        const { registry, state } = yield* open(multiTenant)
        for (const [i, r] of records.entries()) {
          yield* registry.upsert(slackInstall(r.workspace, { installationId: `i${i}`, tenantId: r.tenant, status: r.status }))
          if (r.health !== "") yield* registry.recordHealth(`i${i}`, r.health, "test")
        }
        const resolution = yield* registry.resolve("slack", ask.workspace, ask.tenant)
        if (!resolution.ok) return
        const served = state.records.get(resolution.installation.installationId)!
        const status: InstallationStatus = served.status
        expect(["active", "rotating"]).toContain(status)
        expect(Option.exists(served.health, (h) => h.state === "invalid_token" || h.state === "revoked")).toBe(false)
        expect(served.workspaceId).toBe(ask.workspace)
        if (multiTenant) expect(served.tenantId).toBe(ask.tenant)
        const competitors = records.filter((r) =>
          r.workspace === ask.workspace && (r.status === "active" || r.status === "rotating") && (!multiTenant || r.tenant === ask.tenant))
        expect(competitors).toHaveLength(1)
      })
  )
})
