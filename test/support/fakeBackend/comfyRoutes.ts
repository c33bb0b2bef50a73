import type { Route } from "./openclawRoutes.js"
import type { FakeState, PromptRecord } from "./state.js"
import { json, notFound, type RecordedCall } from "./types.js"

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif", mp4: "video/mp4"
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

const JOB_QUERY_KEYS = new Set(["status", "workflow_id", "sort_by", "sort_order", "limit", "offset"])

/** ComfyUI's own routes (spec §3.11, §7) plus OpenClaw's `/openclaw/jobs` read model (§3.6). */
export const comfyRoutes = (state: FakeState, isAdmin: (call: RecordedCall) => boolean): ReadonlyArray<Route> => {
  const queued = () => [...state.prompts.values()].filter((p) => p.entry === undefined)

  const history = (id: string) => {
    const prompt = state.prompts.get(id)
    if (prompt === undefined) return json(200, {})
    if (prompt.entry === undefined) {
      prompt.polls += 1
      const after = state.options.completeAfterPolls
      if (after !== undefined && prompt.polls >= after) {
        state.completePrompt(id, { "9": { images: [{ filename: `ComfyUI_${prompt.number}_.png`, subfolder: "", type: "output" }] } })
      }
    }
    return json(200, prompt.entry === undefined ? {} : { [id]: prompt.entry })
  }

  const jobStatus = (p: PromptRecord, first: PromptRecord | undefined) => {
    if (p.entry !== undefined) return (p.entry["status"] as { completed: boolean }).completed ? "completed" : "failed"
    return p === first ? "in_progress" : "pending"
  }

  const jobs: Route["handle"] = (call) => {
    if (!isAdmin(call)) return json(403, { ok: false, error: "jobs_admin_required" })
    if (state.jobsMode === "unsupported") return json(501, { ok: false, error: "jobs_host_contract_unsupported" })
    if (state.jobsMode === "unavailable") return json(503, { ok: false, error: "jobs_backend_unavailable" })
    if (Object.keys(call.query).some((k) => !JOB_QUERY_KEYS.has(k))) return json(400, { ok: false, error: "jobs_query_invalid" })
    const warnings: Array<unknown> = []
    const rawLimit = Number.parseInt(call.query["limit"] ?? "50", 10)
    const rawOffset = Number.parseInt(call.query["offset"] ?? "0", 10)
    const limit = Math.min(Math.max(Number.isFinite(rawLimit) ? rawLimit : 50, 1), 200)
    const offset = Math.min(Math.max(Number.isFinite(rawOffset) ? rawOffset : 0, 0), 10000)
    if (limit !== rawLimit) warnings.push({ code: "R95_LIMIT_CLAMPED", field: "limit", normalized: limit })
    if (offset !== rawOffset) warnings.push({ code: "R95_OFFSET_CLAMPED", field: "offset", normalized: offset })
    const first = queued()[0]
    const all = state.jobsOverride ?? [...state.prompts.values()].reverse().map((p) => ({
      id: p.id,
      status: jobStatus(p, first),
      priority: p.number,
      create_time: p.createdAt,
      outputs_count: p.entry === undefined ? 0 : Object.keys(p.entry["outputs"] as object).length
    }))
    const page = all.slice(offset, offset + limit)
    return json(200, {
      ok: true,
      contract_version: 1,
      jobs: page,
      pagination: { limit, offset, warnings, total: all.length, has_more: offset + page.length < all.length },
      source: { adapter: "comfy_execution.jobs", authority: "in_process" },
      scan: { window: 10000, examined: all.length, excluded: 0, malformed: 0, truncated: false }
    })
  }

  const view: Route["handle"] = (call) => {
    const filename = call.query["filename"] ?? ""
    const subfolder = call.query["subfolder"] ?? ""
    const type = call.query["type"] ?? "output"
    if (filename === "" || filename.startsWith("/") || filename.includes("..")) return { status: 400, text: "400: Bad Request" }
    if (!["output", "input", "temp"].includes(type)) return { status: 400, text: "400: Bad Request" }
    if (subfolder.startsWith("/") || subfolder.split(/[\\/]/).includes("..")) return { status: 403, text: "403: Forbidden" }
    const bytes = state.file({ filename, subfolder, type })
    if (bytes === undefined) return notFound
    const ext = filename.split(".").pop()?.toLowerCase() ?? ""
    return {
      status: 200,
      bytes,
      headers: {
        "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
        "content-disposition": `filename="${filename}"`
      }
    }
  }

  const cancelJob: Route["handle"] = (_call, [id]) =>
    state.jobsCancel === "supported" ? json(200, { ok: true, job_id: decodeURIComponent(id!) }) : notFound

  const cancelJobs: Route["handle"] = (call) => {
    if (state.jobsCancel !== "supported") return notFound
    const ids = isRecord(call.body) && Array.isArray(call.body["job_ids"]) ? call.body["job_ids"] : []
    return json(200, { ok: true, job_ids: ids })
  }

  const queueInfo = () => json(200, { exec_info: { queue_remaining: queued().length } })

  return [
    { method: "GET", pattern: /^\/prompt$/, handle: queueInfo },
    {
      method: "POST", pattern: /^\/prompt$/, handle: (call) => {
        const body = isRecord(call.body) ? call.body : {}
        const extra = isRecord(body["extra_data"]) && isRecord(body["extra_data"]["openclaw"]) ? body["extra_data"]["openclaw"] : {}
        const prompt = state.queuePrompt(typeof extra["trace_id"] === "string" ? extra["trace_id"] : "")
        return json(200, { prompt_id: prompt.id, number: prompt.number, node_errors: {} })
      }
    },
    { method: "GET", pattern: /^\/history\/([^/]+)$/, handle: (_call, [id]) => history(decodeURIComponent(id!)) },
    { method: "POST", pattern: /^\/interrupt$/, handle: () => ({ status: 200, text: "" }) },
    { method: "POST", pattern: /^\/jobs\/([^/]+)\/cancel$/, handle: cancelJob },
    { method: "POST", pattern: /^\/jobs\/cancel$/, handle: cancelJobs },
    { method: "GET", pattern: /^\/view$/, handle: view },
    { method: "GET", pattern: /^\/openclaw\/jobs$/, handle: jobs }
  ]
}
