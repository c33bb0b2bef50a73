import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import { InstallationRegistry, type UpsertInstallation } from "../../../src/ports/InstallationRegistry.js"

/**
 * The InstallationRegistry contract (spec platforms-slack-feishu §4 and the choices documented in
 * src/adapters/installations/Registry.ts), run against every adapter.
 */
export type RegistryLayer = (options: { readonly multiTenant: boolean }) => Layer.Layer<InstallationRegistry, unknown>

export const slackInstall = (team: string, over: Partial<UpsertInstallation> = {}): UpsertInstallation => ({
  platform: "slack",
  workspaceId: team,
  installationId: `slack:${team}`,
  tokens: { bot_token: `xoxb-${team}` },
  status: "active",
  ...over
})

/** The failure message of `effect` (it must fail). */
export const failureOf = <A, E extends { readonly message: string; readonly reason?: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (e) => ({ reason: e.reason, message: e.message }))

export const registryContract = (name: string, layer: RegistryLayer) =>
  describe(`InstallationRegistry contract: ${name}`, () => {
    const single = <A, E>(effect: Effect.Effect<A, E, InstallationRegistry>) => Effect.provide(effect, layer({ multiTenant: false }))

    it.effect("upsert normalises input, derives refs and stores no token value in the record", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        const record = yield* r.upsert({
          platform: "  Slack ",
          workspaceId: " T1 ",
          installationId: " slack:T1 ",
          tenantId: " Default ",
          tokens: { " bot_token ": "  xoxb-abc  " },
          metadata: { bot_user_id: "U_BOT", empty: "  " }
        })
        expect(record).toMatchObject({
          platform: "slack",
          workspaceId: "T1",
          installationId: "slack:T1",
          tenantId: "default",
          status: "created",
          tokenRefs: { bot_token: "connector_installation:slack:T1:bot_token" },
          metadata: { bot_user_id: "U_BOT" }
        })
        expect(JSON.stringify(record)).not.toContain("xoxb-abc")
        yield* r.transition("slack:T1", "active", "test")
        const resolved = yield* r.resolve("SLACK", "T1")
        expect(resolved.ok && resolved.tokens).toEqual({ bot_token: "xoxb-abc" })
      })))

    it.effect("rejects bad input with the reference's messages", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        const invalid = (message: string) => ({ reason: "invalid", message })
        expect(yield* failureOf(r.upsert(slackInstall("T1", { platform: " " })))).toEqual(invalid("platform must be non-empty"))
        expect(yield* failureOf(r.upsert(slackInstall("T1", { workspaceId: "" })))).toEqual(invalid("workspace_id must be non-empty"))
        expect(yield* failureOf(r.upsert(slackInstall("T1", { installationId: " " })))).toEqual(invalid("installation_id must be non-empty"))
        expect(yield* failureOf(r.upsert(slackInstall("T1", { tokens: { " ": "x" } })))).toEqual(invalid("token_name must be non-empty"))
        expect(yield* failureOf(r.upsert(slackInstall("T1", { tokens: { bot_token: " " } })))).toEqual(invalid("token:bot_token must be non-empty"))
        expect(yield* failureOf(r.upsert(slackInstall("T1", { tokens: Object.fromEntries([["__proto__", "x"]]) })))).toMatchObject({ reason: "invalid" })
        expect(yield* failureOf(r.upsert(slackInstall("T1", { tokens: { "a b": "x" } })))).toMatchObject({ reason: "invalid" })
        const tenant = yield* failureOf(r.upsert(slackInstall("T1", { tenantId: "Bad Tenant!" })))
        expect(tenant.message).toMatch(/^tenant_invalid/)
        expect(yield* failureOf(r.resolve("slack", "T1", "-leading-dash"))).toMatchObject({ reason: "invalid" })
        expect(yield* failureOf(r.transition("slack:nope", "active", ""))).toEqual({
          reason: "not-found",
          message: "Installation not found: slack:nope"
        })
        expect(yield* failureOf(r.recordHealth("slack:nope", "ok", ""))).toMatchObject({ reason: "not-found" })
        expect(yield* r.list()).toEqual([])
      })))

    it.effect("resolves one active healthy record with its tokens", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1"))
        yield* r.upsert(slackInstall("T2"))
        const resolved = yield* r.resolve("slack", "T2")
        expect(resolved).toMatchObject({ ok: true, auditCode: "conn_install.resolve_ok", healthCode: "ok", tokens: { bot_token: "xoxb-T2" } })
        expect(resolved.ok && resolved.installation.installationId).toBe("slack:T2")
        // Workspace ids are exact (case-sensitive); platforms are not.
        expect(yield* r.resolve("slack", "t2")).toMatchObject({ ok: false, rejectReason: "missing_binding" })
      })))

    it.effect("each reject reason, with its audit and health codes", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        expect(yield* r.resolve("slack", "T0")).toEqual({
          ok: false, rejectReason: "missing_binding", auditCode: "conn_install.resolve_missing", healthCode: "workspace_unbound"
        })
        yield* r.upsert(slackInstall("T1", { installationId: "a" }))
        yield* r.upsert(slackInstall("T1", { installationId: "b" }))
        expect(yield* r.resolve("slack", "T1")).toEqual({
          ok: false, rejectReason: "ambiguous_binding", auditCode: "conn_install.resolve_ambiguous", healthCode: "degraded"
        })
        yield* r.upsert(slackInstall("T2", { status: "created" }))
        expect(yield* r.resolve("slack", "T2")).toEqual({
          ok: false, rejectReason: "inactive_binding", auditCode: "conn_install.resolve_inactive", healthCode: "degraded"
        })
        yield* r.upsert(slackInstall("T3"))
        yield* r.transition("slack:T3", "revoked", "")
        expect(yield* r.resolve("slack", "T3")).toEqual({
          ok: false, rejectReason: "inactive_binding", auditCode: "conn_install.resolve_inactive", healthCode: "revoked"
        })
        yield* r.upsert(slackInstall("T4"))
        yield* r.recordHealth("slack:T4", "INVALID_TOKEN", "slack_tokens_revoked")
        expect(yield* r.resolve("slack", "T4")).toEqual({
          ok: false, rejectReason: "inactive_binding", auditCode: "conn_install.resolve_unhealthy", healthCode: "invalid_token"
        })
        // A stale ref: the record is active again, but uninstall erased its secret.
        yield* r.upsert(slackInstall("T5"))
        yield* r.transition("slack:T5", "uninstalled", "gone")
        yield* r.upsert(slackInstall("T5", { tokens: {} }))
        expect(yield* r.resolve("slack", "T5")).toEqual({
          ok: false, rejectReason: "stale_token_ref:bot_token", auditCode: "conn_install.resolve_stale_ref", healthCode: "degraded"
        })
      })))

    it.effect("applies the rules in order: ambiguous before unhealthy, inactive and unhealthy before stale", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1", { installationId: "a" }))
        yield* r.upsert(slackInstall("T1", { installationId: "b" }))
        yield* r.recordHealth("a", "invalid_token", "x")
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ rejectReason: "ambiguous_binding" })
        // One active + one deactivated: the active one serves; its unhealthy state wins over its stale ref.
        yield* r.transition("b", "deactivated", "")
        yield* r.transition("a", "uninstalled", "")
        yield* r.upsert(slackInstall("T1", { installationId: "a", tokens: {} }))
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ rejectReason: "inactive_binding", auditCode: "conn_install.resolve_unhealthy" })
        // A later health report (a 429, a call that was in flight) never reopens a refused token.
        for (const later of ["degraded", "ok", "rate_limited"]) {
          yield* r.recordHealth("a", later, "x")
          expect(yield* r.resolve("slack", "T1")).toMatchObject({ rejectReason: "inactive_binding", healthCode: "invalid_token" })
        }
        // A degraded installation still serves (it self-heals); its health is reported.
        yield* r.upsert(slackInstall("T9"))
        yield* r.recordHealth("slack:T9", "degraded", "ratelimited")
        expect(yield* r.resolve("slack", "T9")).toMatchObject({ ok: true, healthCode: "degraded" })
      })))

    it.effect("list filters and sorts by platform, tenant, workspace, id", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T2"))
        yield* r.upsert(slackInstall("T1", { status: "created" }))
        yield* r.upsert({ platform: "feishu", workspaceId: "tenant-1", installationId: "feishu:acct", tokens: { app_secret: "s" } })
        expect((yield* r.list()).map((i) => i.installationId)).toEqual(["feishu:acct", "slack:T1", "slack:T2"])
        expect((yield* r.list({ platform: "SLACK" })).map((i) => i.installationId)).toEqual(["slack:T1", "slack:T2"])
        expect((yield* r.list({ status: "active" })).map((i) => i.installationId)).toEqual(["slack:T2"])
        expect((yield* r.list({ workspaceId: "T1" })).map((i) => i.installationId)).toEqual(["slack:T1"])
      })))

    it.effect("transitions write audit events; activation sets health ok; revoked and uninstalled cannot be reactivated", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1", { status: "created" }))
        const active = yield* r.transition("slack:T1", "active", "slack_oauth_complete")
        expect(active.status).toBe("active")
        expect(active.statusReason).toBe("slack_oauth_complete")
        expect(Option.map(active.health, (h) => [h.state, h.reason])).toEqual(Option.some(["ok", "slack_oauth_complete"]))
        const revoked = yield* r.transition("slack:T1", "revoked", "")
        expect(Option.map(revoked.health, (h) => [h.state, h.reason])).toEqual(Option.some(["revoked", "revoked"]))
        expect(yield* failureOf(r.transition("slack:T1", "active", "again"))).toMatchObject({ reason: "invalid" })
        yield* r.transition("slack:T1", "deactivated", "ops")
        yield* r.transition("slack:T1", "uninstalled", "slack_app_uninstalled")
        expect(yield* failureOf(r.transition("slack:T1", "active", "again"))).toMatchObject({ reason: "invalid" })
        const trail = yield* r.audit({ installationId: "slack:T1" })
        expect(trail.map((e) => [e.action, e.status])).toEqual([
          ["upsert", "created"],
          ["activate", "active"],
          ["health_update", "active"],
          ["revoke", "revoked"],
          ["health_update", "revoked"],
          ["deactivate", "deactivated"],
          ["uninstall", "uninstalled"]
        ])
        expect(trail[0]!.details).toEqual({ token_ref_count: 1 })
        expect(trail[2]!.details).toEqual({ health_code: "ok", reason: "slack_oauth_complete" })
        expect(trail[6]!.details).toEqual({ reason: "slack_app_uninstalled", secrets_erased: 1 })
        expect(JSON.stringify(trail)).not.toContain("xoxb-")
      })))

    it.effect("a deactivated installation can be activated again and resolves", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1"))
        yield* r.transition("slack:T1", "deactivated", "pause")
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ rejectReason: "inactive_binding" })
        yield* r.transition("slack:T1", "active", "resume")
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ ok: true })
      })))

    it.effect("uninstall erases every referenced secret; a reinstall brings the workspace back", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-1", app_token: "xapp-1" } }))
        yield* r.transition("slack:T1", "uninstalled", "slack_app_uninstalled")
        const record = yield* r.upsert(slackInstall("T1", { tokens: {} }))
        expect(Object.keys(record.tokenRefs)).toEqual(["bot_token", "app_token"])
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ ok: false, rejectReason: "stale_token_ref:bot_token" })
        yield* r.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-2" }, status: "rotating" }))
        yield* r.transition("slack:T1", "active", "slack_oauth_complete")
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ ok: true, tokens: { bot_token: "xoxb-2" } })
      })))

    it.effect("upsert: keeps created_at and health; metadata replaces when given, is kept when empty; tokens rotate", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1", { metadata: { bot_user_id: "U1", team_name: "One" } }))
        yield* r.recordHealth("slack:T1", "degraded", "ratelimited")
        yield* TestClock.adjust(5000)
        const kept = yield* r.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-rotated" }, metadata: {} }))
        expect(kept.createdAtMillis).toBe(0)
        expect(kept.updatedAtMillis).toBe(5000)
        expect(kept.metadata).toEqual({ bot_user_id: "U1", team_name: "One" })
        expect(Option.map(kept.health, (h) => h.state)).toEqual(Option.some("degraded"))
        const replaced = yield* r.upsert(slackInstall("T1", { tokens: {}, metadata: { bot_user_id: "U2" } }))
        expect(replaced.metadata).toEqual({ bot_user_id: "U2" })
        expect(Option.map(replaced.health, (h) => h.state)).toEqual(Option.some("degraded"))
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ tokens: { bot_token: "xoxb-rotated" } })
        // No status given: the status is kept (a new record starts `created`).
        const noStatus: UpsertInstallation = { platform: "slack", workspaceId: "T1", installationId: "slack:T1" }
        expect((yield* r.upsert(noStatus)).status).toBe("active")
      })))

    it.effect("recording the same health twice writes one audit event", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1"))
        yield* r.recordHealth("slack:T1", "ok", "workspace_resolved")
        yield* r.recordHealth("slack:T1", "ok", "workspace_resolved")
        yield* r.recordHealth("slack:T1", " OK ", "workspace_resolved")
        const updates = (yield* r.audit({ installationId: "slack:T1" })).filter((e) => e.action === "health_update")
        expect(updates.map((e) => e.details)).toEqual([{ health_code: "ok", reason: "workspace_resolved" }])
      })))

    it.effect("the audit trail keeps the newest 500 events; filter and limit apply", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1"))
        yield* r.upsert(slackInstall("T2"))
        for (let i = 0; i < 510; i++) yield* r.recordHealth("slack:T1", "ok", `r${i}`)
        yield* r.recordHealth("slack:T2", "degraded", "last")
        const all = yield* r.audit({ limit: 10_000 })
        expect(all).toHaveLength(500)
        expect(all.at(-1)!.installationId).toBe("slack:T2")
        expect(all.at(-2)!.details).toEqual({ health_code: "ok", reason: "r509" })
        // 513 events written: the first 13 (two upserts, r0..r10) are gone.
        expect(all[0]!.details).toEqual({ health_code: "ok", reason: "r11" })
        expect(yield* r.audit()).toHaveLength(100)
        expect(yield* r.audit({ limit: 0 })).toHaveLength(1)
        expect((yield* r.audit({ limit: 3 })).map((e) => e.details["reason"])).toEqual(["r508", "r509", "last"])
        const t2 = yield* r.audit({ installationId: "slack:T2" })
        expect(t2.map((e) => e.action)).toEqual(["health_update"])
      })))

    it.effect("resolution writes nothing to the audit trail", () =>
      single(Effect.gen(function*() {
        const r = yield* InstallationRegistry
        yield* r.upsert(slackInstall("T1"))
        const before = (yield* r.audit({ limit: 500 })).length
        yield* r.resolve("slack", "T1")
        yield* r.resolve("slack", "T404")
        expect((yield* r.audit({ limit: 500 })).length).toBe(before)
      })))
  })
