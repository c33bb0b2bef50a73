import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { auth, diagnosticsClient, multiTenant } from "./client.js"
import { makeSeededRegistry, populated } from "./SeededRegistry.js"

const disposers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const d of disposers.splice(0)) await d()
})
const client = (...args: Parameters<typeof diagnosticsClient>) => {
  const c = diagnosticsClient(...args)
  disposers.push(c.dispose)
  return c
}

const slackT1 = {
  platform: "slack",
  tenant_id: "default",
  workspace_id: "T1",
  installation_id: "slack:T1",
  token_refs: { bot_token: "connector_installation:slack:T1:bot_token" },
  status: "active",
  status_reason: "slack_oauth_complete",
  created_at: 1_700_000_000,
  updated_at: 1_700_000_100,
  metadata: {
    workspace_name: "Workspace One",
    bot_user_id: "U_BOT_1",
    token_type: "bot",
    health: { state: "ok", reason: "slack_oauth_complete", updated_at: 1_700_000_200, details: {} }
  }
}

describe("GET /openclaw/connector/installations", () => {
  it("single-tenant: every record, sorted, with diagnostics counts over them (bug 27 fixed)", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    const res = await get("/openclaw/connector/installations")
    expect(res.status).toBe(200)
    expect(res.headers.get("cache-control")).toBe("no-store")
    expect(res.json.ok).toBe(true)
    expect(res.json.tenant_id).toBe("default")
    expect(res.json.installations.map((i: { installation_id: string }) => i.installation_id)).toEqual([
      "feishu:acct-alpha", "feishu:acct-beta", "slack:T1", "slack:T2", "slack:T3", "slack:T4", "slack:TA"
    ])
    expect(res.json.installations[2]).toEqual(slackT1)
    expect(res.json.diagnostics).toEqual({
      installation_count: 7,
      status_counts: { active: 3, rotating: 1, revoked: 1, created: 1, deactivated: 1 },
      health_counts: { ok: 4, invalid_token: 1, revoked: 1, degraded: 1 },
      audit_events: 14
    })
  })

  it("filters by platform (case-insensitive), workspace_id and status; diagnostics stay tenant-wide", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    const res = await get("/openclaw/connector/installations?platform=%20SLACK%20&status=active")
    expect(res.json.installations.map((i: { installation_id: string }) => i.installation_id)).toEqual(["slack:T1", "slack:T2"])
    expect(res.json.diagnostics.installation_count).toBe(7)
    const one = await get("/openclaw/connector/installations?workspace_id=T3&platform=")
    expect(one.json.installations).toHaveLength(1)
    expect(one.json.installations[0]).toMatchObject({ installation_id: "slack:T3", status: "revoked", metadata: {} })
  })

  it("one read of the records and one of the audit trail, whatever the filters; single-tenant asks for every tenant explicitly", async () => {
    const single = makeSeededRegistry(populated)
    const { get } = client(single.layer)
    await get("/openclaw/connector/installations?platform=slack&workspace_id=T1&status=active")
    expect(single.calls).toEqual([
      { op: "list", args: { allTenants: true } },
      { op: "audit", args: { allTenants: true, limit: 500 } }
    ])
    const multi = makeSeededRegistry(populated, { multiTenant: true })
    const scoped = client(multi.layer, { tenancy: multiTenant() })
    await scoped.get("/openclaw/connector/installations?platform=feishu", { ...auth, "x-openclaw-tenant-id": "tenant-a" })
    await scoped.get("/openclaw/connector/installations/feishu:acct-alpha", { ...auth, "x-openclaw-tenant-id": "tenant-a" })
    await scoped.get("/openclaw/connector/installations/audit", { ...auth, "x-openclaw-tenant-id": "tenant-a" })
    expect(multi.calls).toEqual([
      { op: "list", args: { tenantId: "tenant-a" } },
      { op: "audit", args: { tenantId: "tenant-a", limit: 500 } },
      { op: "get", args: { id: "feishu:acct-alpha", scope: { tenantId: "tenant-a" } } },
      { op: "audit", args: { tenantId: "tenant-a", limit: 100 } }
    ])
  })

  it("health counts read health as resolution does (trimmed, lower-cased)", async () => {
    const seed = [{
      platform: "slack", tenantId: "default", workspaceId: "T7", installationId: "slack:T7", status: "active" as const,
      tokens: { bot_token: "xoxb-seventh-secret" }, health: { state: " Revoked ", reason: "old row", updatedAtMillis: 1 }
    }]
    const { get } = client(makeSeededRegistry(seed).layer)
    expect((await get("/openclaw/connector/installations")).json.diagnostics.health_counts).toEqual({ revoked: 1 })
    const resolved = await get("/openclaw/connector/installations/resolve?platform=slack&workspace_id=T7")
    expect([resolved.status, resolved.json.resolution.reject_reason, resolved.json.resolution.health_code]).toEqual([409, "inactive_binding", "revoked"])
  })

  it("multi-tenant: only the request tenant's records, counts and audit events", async () => {
    const { get } = client(makeSeededRegistry(populated, { multiTenant: true }).layer, { tenancy: multiTenant() })
    const res = await get("/openclaw/connector/installations", { ...auth, "x-openclaw-tenant-id": "Tenant-A" })
    expect(res.status).toBe(200)
    expect(res.json.tenant_id).toBe("tenant-a")
    expect(res.json.installations.map((i: { installation_id: string }) => i.installation_id)).toEqual(["feishu:acct-alpha", "slack:TA"])
    expect(res.json.diagnostics).toEqual({
      installation_count: 2,
      status_counts: { active: 1, deactivated: 1 },
      health_counts: { ok: 2 },
      audit_events: 4
    })
  })
})

describe("GET /openclaw/connector/installations/{installation_id}", () => {
  it("200 with the public record; ids with ':' work raw or percent-encoded", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    for (const path of ["/openclaw/connector/installations/slack:T1", "/openclaw/connector/installations/slack%3AT1"]) {
      const res = await get(path)
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ ok: true, tenant_id: "default", installation: slackT1 })
    }
  })

  it("404 not_found for an unknown id, and for another tenant's id in multi-tenant mode", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    expect(await get("/openclaw/connector/installations/slack:T9")).toMatchObject({ status: 404, json: { ok: false, error: "not_found" } })
    const multi = client(makeSeededRegistry(populated, { multiTenant: true }).layer, { tenancy: multiTenant() })
    const other = await multi.get("/openclaw/connector/installations/feishu:acct-beta", { ...auth, "x-openclaw-tenant-id": "tenant-a" })
    expect(other).toMatchObject({ status: 404, json: { ok: false, error: "not_found" } })
    const mine = await multi.get("/openclaw/connector/installations/feishu:acct-beta", { ...auth, "x-openclaw-tenant-id": "tenant-b" })
    expect(mine.status).toBe(200)
    expect(mine.json.installation.metadata.health).toEqual({ state: "degraded", reason: "rate limited", updated_at: 1_700_000_400, details: {} })
  })

  it("the literal routes win over the id route", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    expect((await get("/openclaw/connector/installations/audit")).json.events).toBeDefined()
    expect((await get("/openclaw/connector/installations/resolve")).status).toBe(400)
  })
})

describe("GET /openclaw/connector/installations/resolve", () => {
  it("200 with the resolution's public dict when it resolves (never the tokens)", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    const res = await get("/openclaw/connector/installations/resolve?platform=slack&workspace_id=T1")
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      ok: true,
      tenant_id: "default",
      resolution: { ok: true, reject_reason: "", audit_code: "conn_install.resolve_ok", health_code: "ok", installation: slackT1 }
    })
    expect(res.text).not.toContain("xoxb-first-secret-value")
  })

  it("409 with ok:false for each failed resolution", async () => {
    const { get } = client(makeSeededRegistry(populated, { dropSecrets: ["connector_installation:feishu:acct-alpha:app_secret"] }).layer)
    const cases: Array<[string, string, string, string]> = [
      ["slack", "T9", "missing_binding", "workspace_unbound"],
      ["slack", "T2", "inactive_binding", "invalid_token"],
      ["slack", "T3", "inactive_binding", "revoked"],
      ["feishu", "tenant-alpha", "stale_token_ref:app_secret", "degraded"]
    ]
    for (const [platform, workspace, reason, health] of cases) {
      const res = await get(`/openclaw/connector/installations/resolve?platform=${platform}&workspace_id=${workspace}`)
      expect(res.status).toBe(409)
      expect(res.json).toMatchObject({ ok: false, tenant_id: "default", resolution: { ok: false, reject_reason: reason, health_code: health } })
      expect(res.json.resolution.installation).toBeUndefined()
    }
  })

  it("multi-tenant: another tenant's workspace is a tenant_mismatch (409)", async () => {
    const { get } = client(makeSeededRegistry(populated, { multiTenant: true }).layer, { tenancy: multiTenant() })
    const res = await get("/openclaw/connector/installations/resolve?platform=feishu&workspace_id=tenant-alpha", {
      ...auth,
      "x-openclaw-tenant-id": "tenant-b"
    })
    expect(res.status).toBe(409)
    expect(res.json).toMatchObject({ ok: false, tenant_id: "tenant-b", resolution: { reject_reason: "tenant_mismatch" } })
  })

  it("400 when platform or workspace_id is missing or blank", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    for (const q of ["", "?platform=slack", "?workspace_id=T1", "?platform=%20&workspace_id=T1"]) {
      const res = await get(`/openclaw/connector/installations/resolve${q}`)
      expect([res.status, res.json]).toEqual([400, { ok: false, error: "platform and workspace_id are required" }])
    }
  })
})

describe("GET /openclaw/connector/installations/audit", () => {
  it("newest last, filtered by installation, limit clamped to 1..500", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    const res = await get("/openclaw/connector/installations/audit?installation_id=slack:T1")
    expect(res.status).toBe(200)
    expect(res.json).toEqual({
      ok: true,
      tenant_id: "default",
      events: [
        { timestamp: 1_700_000_000, action: "upsert", installation_id: "slack:T1", platform: "slack", tenant_id: "default", workspace_id: "T1", status: "created", details: { token_ref_count: 1 } },
        { timestamp: 1_700_000_000.5, action: "activate", installation_id: "slack:T1", platform: "slack", tenant_id: "default", workspace_id: "T1", status: "active", details: { reason: "test" } }
      ]
    })
    expect((await get("/openclaw/connector/installations/audit?limit=0")).json.events).toHaveLength(1)
    expect((await get("/openclaw/connector/installations/audit?limit=3")).json.events).toHaveLength(3)
    expect((await get("/openclaw/connector/installations/audit?limit=100000")).json.events).toHaveLength(14)
  })

  it("multi-tenant: only the request tenant's events", async () => {
    const { get } = client(makeSeededRegistry(populated, { multiTenant: true }).layer, { tenancy: multiTenant() })
    const res = await get("/openclaw/connector/installations/audit", { ...auth, "x-openclaw-tenant-id": "tenant-b" })
    expect(res.json.events.map((e: { installation_id: string }) => e.installation_id)).toEqual(["feishu:acct-beta", "feishu:acct-beta"])
  })
})

describe("GET /openclaw/connector/extraction-contract", () => {
  it("the static contract: stable ids and order, names of secret variables only, entrypoints that exist", async () => {
    const { get } = client(makeSeededRegistry([]).layer)
    const res = await get("/openclaw/connector/extraction-contract")
    expect(res.status).toBe(200)
    const contract = res.json.contract
    expect(res.json.ok).toBe(true)
    expect(contract.version).toBe(1)
    expect(contract.decision).toMatchObject({
      id: "stay_in_repo_attached_subsystem",
      status: "recommended_now",
      go_no_go: "no_go_for_split_now",
      future_candidate: "optional_extra_package_after_shared_contract_extraction"
    })
    expect(contract.candidate_packaging_options.map((o: { id: string; status: string }) => [o.id, o.status])).toEqual([
      ["stay_in_repo_attached_subsystem", "recommended_now"],
      ["optional_extra_package_after_shared_contract_extraction", "future_candidate"],
      ["sidecar_only_distribution", "no_go_now"],
      ["separate_repo_or_primary_connector_package", "no_go_now"]
    ])
    expect(contract.minimum_stable_seam_families.map((f: { id: string }) => f.id)).toEqual([
      "installation_registry_and_token_refs",
      "interactive_callback_security_contract",
      "delivery_and_result_bridge",
      "config_auth_and_tenant_boundary"
    ])
    for (const family of contract.minimum_stable_seam_families) {
      for (const file of family.entrypoints) expect(existsSync(join(process.cwd(), file)), file).toBe(true)
    }
    expect(contract.current_blockers.map((b: { id: string }) => b.id)).toEqual([
      "bidirectional_runtime_imports",
      "shared_secret_and_state_ownership",
      "local_backend_api_contract_not_versioned_for_external_package",
      "sidecar_runtime_still_imports_connector_package_directly"
    ])
    const boundary = contract.service_env_secret_ref_boundary
    expect(boundary.portable_connector_secret_env_vars).toHaveLength(17)
    expect(boundary.portable_connector_secret_env_vars).toEqual([...boundary.portable_connector_secret_env_vars].sort())
    expect(boundary.non_persistable_auth_env_vars).toContain("OPENCLAW_CONNECTOR_ADMIN_TOKEN")
    expect(boundary.diagnostics).toEqual({ raw_values_exposed: false, missing_env_fails_closed: true, legacy_marker_strings_rejected: true })
  })
})

describe("prefixes", () => {
  it("/moltbot, /api/openclaw and /api/moltbot serve the same routes; /moltbot hits are logged as deprecated", async () => {
    const { get, logs } = client(makeSeededRegistry(populated).layer)
    for (const prefix of ["/moltbot", "/api/openclaw", "/api/moltbot"]) {
      const res = await get(`${prefix}/connector/installations/slack:T1`)
      expect([prefix, res.status, res.json.installation.installation_id]).toEqual([prefix, 200, "slack:T1"])
    }
    expect(logs.filter((l) => l.includes("Deprecated admin route prefix"))).toHaveLength(2)
  })

  it("an unknown path under the prefix is 404 (after the guard)", async () => {
    const { get } = client(makeSeededRegistry(populated).layer)
    expect((await get("/openclaw/connector/nope")).status).toBe(404)
    expect((await get("/openclaw/connector/installations/")).status).toBe(404)
    expect((await get("/openclaw/connector/installations/a/b")).status).toBe(404)
    expect((await get("/openclaw/connector/nope", {})).status).toBe(403)
  })
})
