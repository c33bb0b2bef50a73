import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { InstallationRegistry } from "../../../src/ports/InstallationRegistry.js"
import { failureOf, type RegistryLayer, slackInstall } from "./registryContract.js"

/**
 * The tenancy part of the InstallationRegistry contract (port: TenantScope), run against every
 * adapter: multi-tenant reads are of one tenant, `default` when none is named, every tenant only
 * with `allTenants: true`; single-tenant mode never filters by tenant.
 */
export const registryTenancyContract = (name: string, layer: RegistryLayer) =>
  describe(`InstallationRegistry tenancy contract: ${name}`, () => {
    const single = <A, E>(effect: Effect.Effect<A, E, InstallationRegistry>) => Effect.provide(effect, layer({ multiTenant: false }))
    const multi = <A, E>(effect: Effect.Effect<A, E, InstallationRegistry>) => Effect.provide(effect, layer({ multiTenant: true }))

    it.effect("multi-tenant: another tenant's workspace is tenant_mismatch; get hides it", () =>
      multi(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1", { tenantId: "acme" }))
        expect(yield* r.resolve("slack", "T1", "other")).toEqual({
          ok: false, rejectReason: "tenant_mismatch", auditCode: "conn_install.resolve_tenant_mismatch", healthCode: "degraded"
        })
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ ok: false, rejectReason: "tenant_mismatch" })
        expect(yield* r.resolve("slack", "T1", "ACME")).toMatchObject({ ok: true, tokens: { bot_token: "xoxb-T1" } })
        expect(yield* r.resolve("slack", "T2", "acme")).toMatchObject({ rejectReason: "missing_binding" })
        expect(Option.isNone(yield* r.get("slack:T1", { tenantId: "other" }))).toBe(true)
        expect(Option.isSome(yield* r.get("slack:T1", { tenantId: "acme" }))).toBe(true)
        expect(yield* r.list({ tenantId: "other" })).toEqual([])
        expect(yield* r.audit({ tenantId: "other" })).toEqual([])
        expect((yield* r.audit({ tenantId: "acme" })).length).toBeGreaterThan(0)
      })))

    it.effect("multi-tenant: no tenant named means default for get, list and audit (as for resolve); allTenants reads all", () =>
      multi(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1", { tenantId: "acme" }))
        yield* r.upsert(slackInstall("T2"))
        // The same record set as resolve sees without a tenant: default's only.
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ ok: false, rejectReason: "tenant_mismatch" })
        expect(Option.isNone(yield* r.get("slack:T1"))).toBe(true)
        expect(Option.isSome(yield* r.get("slack:T2"))).toBe(true)
        expect((yield* r.list()).map((i) => i.installationId)).toEqual(["slack:T2"])
        expect((yield* r.list({ tenantId: "" })).map((i) => i.installationId)).toEqual(["slack:T2"])
        expect((yield* r.audit()).map((e) => e.installationId)).toEqual(["slack:T2"])
        // allTenants is explicit, and wins over a tenant id.
        expect(Option.isSome(yield* r.get("slack:T1", { allTenants: true }))).toBe(true)
        expect((yield* r.list({ allTenants: true })).map((i) => i.installationId)).toEqual(["slack:T1", "slack:T2"])
        expect((yield* r.list({ allTenants: true, tenantId: "other" })).length).toBe(2)
        expect((yield* r.audit({ allTenants: true })).map((e) => e.installationId)).toEqual(["slack:T1", "slack:T2"])
        expect((yield* failureOf(r.list({ tenantId: "Bad Tenant!" }))).message).toMatch(/^tenant_invalid/)
      })))

    it.effect("single-tenant: tenant ids are kept but never filter", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1", { tenantId: "acme" }))
        expect(yield* r.resolve("slack", "T1", "other")).toMatchObject({ ok: true, tokens: { bot_token: "xoxb-T1" } })
        expect(Option.map(yield* r.get("slack:T1", { tenantId: "other" }), (i) => i.tenantId)).toEqual(Option.some("acme"))
        expect(Option.map(yield* r.get("slack:T1"), (i) => i.tenantId)).toEqual(Option.some("acme"))
        expect((yield* r.list({ tenantId: "other" })).length).toBe(1)
        expect((yield* r.list()).length).toBe(1)
        expect((yield* r.audit({ tenantId: "other" })).length).toBe(1)
      })))

  })
