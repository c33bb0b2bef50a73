import { randomUUID } from "node:crypto"
import { isoUtc, type FakeState } from "./state.js"
import { json, type FakeReply, type RecordedCall } from "./types.js"

export interface Route {
  readonly method: string
  readonly pattern: RegExp
  readonly handle: (call: RecordedCall, params: ReadonlyArray<string>) => FakeReply
}

const S33 = "Cross-origin request denied (S33). Set OPENCLAW_ADMIN_TOKEN to use token-based auth."
const LOOPBACK_ORIGINS = ["http://127.0.0.1", "http://localhost", "http://0.0.0.0", "https://127.0.0.1", "https://localhost"]

const sameOrigin = (call: RecordedCall): boolean => {
  const site = call.headers["sec-fetch-site"]
  if (site !== undefined) return ["same-origin", "same-site", "none"].includes(site)
  const origin = call.headers["origin"]
  return origin !== undefined && LOOPBACK_ORIGINS.some((o) => origin.startsWith(o))
}

/** `require_admin_token` (spec §2): the reason a call is denied, or undefined when it may pass. */
export const adminDenial = (state: FakeState, call: RecordedCall): string | undefined => {
  const expected = state.options.adminToken
  if (expected === undefined || expected === "") return sameOrigin(call) ? undefined : S33
  const given = (call.headers["x-openclaw-admin-token"] ?? call.headers["x-moltbot-admin-token"] ?? "").trim()
  return given === expected ? undefined : "Invalid admin token."
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const int = (raw: string | undefined, fallback: number) => {
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10)
  return Number.isFinite(n) ? n : fallback
}

export const openclawRoutes = (state: FakeState): ReadonlyArray<Route> => {
  /** Runs `f` only for an admin; otherwise 403 with the body shape of that endpoint family. */
  const admin = (shape: "plain" | "ok" | "jobs", f: Route["handle"]): Route["handle"] => (call, params) => {
    const denied = adminDenial(state, call)
    if (denied === undefined) return f(call, params)
    if (shape === "jobs") return json(403, { ok: false, error: "jobs_admin_required" })
    return json(403, shape === "ok" ? { ok: false, error: denied } : { error: denied })
  }

  const submit = (traceId: string) => state.queuePrompt(traceId)

  const approvalsList: Route["handle"] = (call) => {
    const status = call.query["status"]
    if (status !== undefined && !["pending", "approved", "rejected", "expired"].includes(status)) {
      return json(400, { error: `Invalid status: ${status}` })
    }
    state.expireDue()
    const all = [...state.approvals.values()].reverse()
    const items = status === undefined ? all : all.filter((a) => a.status === status)
    const limit = Math.min(Math.max(int(call.query["limit"], 100), 1), 500)
    const offset = Math.min(Math.max(int(call.query["offset"], 0), 0), 5000)
    const page = items.slice(offset, offset + limit)
    return json(200, {
      tenant_id: "default",
      approvals: page,
      count: page.length,
      pending_count: all.filter((a) => a.status === "pending").length,
      pagination: { limit, offset, warnings: [] },
      scan: { scanned: all.length, skipped_malformed: 0, truncated: false }
    })
  }

  const approve: Route["handle"] = (call, [id]) => {
    const approval = state.approvals.get(id!)
    if (approval === undefined) return json(400, { error: `Approval request not found: ${id}` })
    if (approval.status === "pending" && Date.parse(approval.expires_at) <= Date.now()) {
      approval.status = "expired"
      return json(400, { error: `Approval request has expired: ${id}` })
    }
    if (approval.status !== "pending") return json(400, { error: `Cannot approve request in status: ${approval.status}` })
    const body = isRecord(call.body) ? call.body : {}
    const autoExecute = body["auto_execute"] === undefined ? true : Boolean(body["auto_execute"])
    approval.status = "approved"
    approval.approved_at = isoUtc(Date.now())
    approval.decision_by = typeof body["actor"] === "string" ? body["actor"] : null
    const before = structuredClone(approval)
    if (!autoExecute) return json(200, { tenant_id: "default", approved: true, approval: before, executed: false })
    const prompt = submit(approval.trace_id)
    approval.metadata = { executed_prompt_id: prompt.id, executed_trace_id: approval.trace_id, executed_at: isoUtc(Date.now()) }
    return json(200, {
      tenant_id: "default", approved: true, approval: before, executed: true, prompt_id: prompt.id, trace_id: approval.trace_id
    })
  }

  const reject: Route["handle"] = (call, [id]) => {
    const approval = state.approvals.get(id!)
    if (approval === undefined) return json(400, { error: `Approval request not found: ${id}` })
    if (approval.status !== "pending") return json(400, { error: `Cannot reject request in status: ${approval.status}` })
    const body = isRecord(call.body) ? call.body : {}
    approval.status = "rejected"
    approval.rejected_at = isoUtc(Date.now())
    approval.decision_by = typeof body["actor"] === "string" ? body["actor"] : null
    return json(200, { tenant_id: "default", rejected: true, approval })
  }

  const fire: Route["handle"] = (call) => {
    if (!isRecord(call.body)) return json(400, { error: "Invalid JSON" })
    const body = call.body
    const templateId = body["template_id"]
    if (typeof templateId !== "string" || templateId === "") return json(400, { error: "template_id is required" })
    if (state.template(templateId) === undefined) return json(404, { error: `template_id '${templateId}' not found` })
    const inputs = isRecord(body["inputs"]) ? body["inputs"] : {}
    if (Buffer.byteLength(JSON.stringify(inputs)) > 32 * 1024) return json(400, { error: "inputs too large (max 32KB)" })
    const traceId = typeof body["trace_id"] === "string" && body["trace_id"] !== ""
      ? body["trace_id"]
      : randomUUID().replaceAll("-", "")
    if (body["require_approval"]) {
      const approval = state.createApproval(templateId, inputs, traceId)
      return json(202, { pending: true, approval_id: approval.approval_id, trace_id: traceId, expires_at: approval.expires_at })
    }
    const earlier = state.triggerKeys.get(traceId)
    if (earlier !== undefined) return json(200, { triggered: true, prompt_id: earlier, trace_id: traceId, deduped: true })
    const prompt = submit(traceId)
    state.triggerKeys.set(traceId, prompt.id)
    return json(200, { triggered: true, prompt_id: prompt.id, trace_id: traceId, deduped: false })
  }

  const llm: Route["handle"] = (call) => {
    const noToken = (state.options.adminToken ?? "") === ""
    if (noToken && !sameOrigin(call)) return json(403, { ok: false, error: "csrf_protection", message: S33 })
    const denied = adminDenial(state, call)
    if (denied !== undefined) return json(403, { ok: false, error: denied })
    const body = call.body === undefined || typeof call.body === "string" ? {} : call.body
    if (!isRecord(body)) return json(400, { ok: false, error: "Expected JSON object body" })
    const message = body["user_message"] ?? body["message"]
    if (typeof message !== "string" || message.trim() === "") return json(400, { ok: false, error: "missing_user_message" })
    return json(200, { ok: true, tenant_id: "default", text: state.options.llmText ?? "OK" })
  }

  const schedule = (s: FakeState["schedules"][number]) => ({
    schedule_id: s.schedule_id, name: s.name ?? s.schedule_id, template_id: s.template_id,
    trigger_type: s.interval_sec == null ? "cron" : "interval", cron_expr: s.cron_expr ?? null,
    interval_sec: s.interval_sec ?? null, inputs: {}, delivery: null, timezone: "local", enabled: s.enabled ?? true,
    created_at: isoUtc(0), updated_at: isoUtc(0), last_tick_ts: null, last_run_id: null,
    compute_error_count: 0, last_compute_error: null
  })

  return [
    { method: "GET", pattern: /^\/openclaw\/health$/, handle: () => json(200, health()) },
    { method: "GET", pattern: /^\/openclaw\/config$/, handle: () => json(200, config()) },
    {
      method: "GET", pattern: /^\/openclaw\/templates$/, handle: () => {
        const templates = [...state.templates].sort((a, b) => a.id.localeCompare(b.id))
          .map((t) => ({ id: t.id, allowed_inputs: t.allowed_inputs, defaults: t.defaults ?? {} }))
        return json(200, { ok: true, count: templates.length, templates })
      }
    },
    { method: "POST", pattern: /^\/openclaw\/llm\/chat$/, handle: llm },
    {
      method: "GET", pattern: /^\/openclaw\/trace\/([^/]+)$/, handle: admin("ok", (_call, [id]) => {
        const trace = state.traces.get(decodeURIComponent(id!))
        return trace === undefined ? json(404, { ok: false, error: "not_found" }) : json(200, { ok: true, trace })
      })
    },
    { method: "POST", pattern: /^\/openclaw\/triggers\/fire$/, handle: admin("plain", fire) },
    { method: "GET", pattern: /^\/openclaw\/approvals$/, handle: admin("plain", approvalsList) },
    {
      method: "GET", pattern: /^\/openclaw\/approvals\/([^/]+)$/, handle: admin("plain", (_call, [id]) => {
        const approval = state.approvals.get(decodeURIComponent(id!))
        return approval === undefined
          ? json(404, { error: "Approval not found" })
          : json(200, { tenant_id: "default", approval })
      })
    },
    { method: "POST", pattern: /^\/openclaw\/approvals\/([^/]+)\/approve$/, handle: admin("plain", (c, [id]) => approve(c, [decodeURIComponent(id!)])) },
    { method: "POST", pattern: /^\/openclaw\/approvals\/([^/]+)\/reject$/, handle: admin("plain", (c, [id]) => reject(c, [decodeURIComponent(id!)])) },
    {
      method: "GET", pattern: /^\/openclaw\/schedules$/, handle: admin("plain", () =>
        json(200, { schedules: state.schedules.map(schedule), count: state.schedules.length }))
    },
    {
      method: "POST", pattern: /^\/openclaw\/schedules\/([^/]+)\/run$/, handle: admin("plain", (_call, [id]) => {
        const s = state.schedules.find((x) => x.schedule_id === decodeURIComponent(id!))
        return s === undefined
          ? json(404, { error: "Schedule not found" })
          : json(200, { triggered: true, schedule_id: s.schedule_id, template_id: s.template_id })
      })
    }
  ]
}

const started = Date.now()

const health = () => ({
  ok: true,
  pack: { name: "ComfyUI-OpenClaw", version: "1.0.7", dependencies: { aiohttp: true, watchdog: false } },
  uptime_sec: (Date.now() - started) / 1000,
  config: { provider: "openai", model: "gpt-4o-mini", base_url: null, api_type: null, llm_key_configured: false, llm_key_required: true },
  stats: { errors_captured: 0, logs_processed: 0, executors: {}, observability: {} },
  startup: { schema_version: 1, phase: "ready", state: "ready", ready: true },
  access_policy: { observability: "loopback_only", token_configured: false },
  control_plane: {},
  runtime_profile: "minimal"
})

const config = () => ({
  ok: true,
  tenant_id: "default",
  config: {
    provider: "openai", model: "gpt-4o-mini", base_url: "", allow_private_network: false, timeout_sec: 120,
    max_retries: 3, fallback_models: [], fallback_providers: [], max_failover_candidates: 3
  },
  sources: { provider: "default" },
  runtime_guardrails: { status: "ok" },
  providers: [{ id: "openai", label: "OpenAI", requires_key: true }],
  schema: {},
  write_enabled: true
})
