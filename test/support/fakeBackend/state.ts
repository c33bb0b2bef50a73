import { randomBytes, randomUUID } from "node:crypto"
import type { FakeBackendOptions, FakeJob, FakeSchedule, FakeTemplate } from "./types.js"

export interface ImageRef {
  readonly filename: string
  readonly subfolder: string
  readonly type: string
}

/** Node outputs as ComfyUI reports them, e.g. `{"9": {"images": [{filename, subfolder, type}]}}`. */
export type Outputs = Readonly<Record<string, Readonly<Record<string, unknown>>>>

export interface PromptRecord {
  readonly id: string
  readonly number: number
  readonly createdAt: number
  readonly traceId: string
  polls: number
  /** The history entry once the prompt has ended. */
  entry: Record<string, unknown> | undefined
}

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired"

export interface Approval {
  approval_id: string
  template_id: string
  inputs: Record<string, unknown>
  source: string
  trace_id: string
  tenant_id: string
  status: ApprovalStatus
  requested_at: string
  requested_by: null
  expires_at: string
  approved_at: string | null
  rejected_at: string | null
  decision_by: string | null
  delivery: null
  metadata: Record<string, unknown>
}

export const DEFAULT_TEMPLATES: ReadonlyArray<FakeTemplate> = [
  { id: "portrait_v1", allowed_inputs: ["positive_prompt", "seed"], defaults: { seed: 0 } },
  { id: "sdxl_basic", allowed_inputs: ["positive_prompt", "negative_prompt", "seed"], defaults: { seed: 1234 } }
]

/** ISO-8601 UTC with a `+00:00` offset and microseconds, as Python's `isoformat()` writes it. */
export const isoUtc = (millis: number): string => new Date(millis).toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00")

const fileKey = (ref: ImageRef) => `${ref.type}\u0000${ref.subfolder}\u0000${ref.filename}`

/** A 1x1 PNG, served for output images that a test did not give bytes for. */
export const TINY_PNG = Uint8Array.from(Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==",
  "base64"
))

export type PromptEnd = "success" | "error" | "interrupted"

/** Details of a failed prompt's `execution_error` (defaults: node "1", type "Fake", "fake failure"). */
export interface PromptFailure {
  readonly message?: string
  readonly nodeId?: string
  readonly nodeType?: string
}

/** ComfyUI's `execution_error` data, as sent on the websocket and kept in history messages. */
export const executionError = (promptId: string, failure: PromptFailure, timestamp: number) => ({
  prompt_id: promptId,
  node_id: failure.nodeId ?? "1",
  node_type: failure.nodeType ?? "Fake",
  executed: [],
  exception_message: failure.message ?? "fake failure",
  exception_type: "RuntimeError",
  traceback: [],
  current_inputs: {},
  current_outputs: {},
  timestamp
})

/** The fake's in-memory backend: prompts, history, approvals, files, traces and schedules. */
export class FakeState {
  readonly prompts = new Map<string, PromptRecord>()
  readonly approvals = new Map<string, Approval>()
  readonly files = new Map<string, Uint8Array>()
  readonly traces = new Map<string, unknown>()
  /** trace_id -> prompt id (the trigger idempotency key is derived from the trace id). */
  readonly triggerKeys = new Map<string, string>()
  templates: ReadonlyArray<FakeTemplate>
  schedules: Array<FakeSchedule>
  jobsCancel: "unsupported" | "supported"
  jobsMode: "ok" | "unsupported" | "unavailable"
  /**
   * When set, `/openclaw/jobs` lists exactly these items (newest first, as given) instead of the
   * ones derived from the prompts (first prompt without history `in_progress`, later ones `pending`).
   */
  jobsOverride: ReadonlyArray<FakeJob> | undefined = undefined
  private nextNumber = 0

  constructor(readonly options: FakeBackendOptions) {
    this.templates = options.templates ?? DEFAULT_TEMPLATES
    this.schedules = [...(options.schedules ?? [])]
    this.jobsCancel = options.jobsCancel ?? "unsupported"
    this.jobsMode = options.jobsMode ?? "ok"
  }

  /** ComfyUI's `queue_remaining`: prompts queued or running (no history entry yet). */
  queueRemaining(): number {
    return [...this.prompts.values()].filter((p) => p.entry === undefined).length
  }

  template(id: string): FakeTemplate | undefined {
    return this.templates.find((t) => t.id === id)
  }

  /** Queue a prompt (as OpenClaw's submit does); it stays `{}` in history until it ends. */
  queuePrompt(traceId: string, id: string = randomUUID()): PromptRecord {
    const record: PromptRecord = { id, number: this.nextNumber++, createdAt: Date.now(), traceId, polls: 0, entry: undefined }
    this.prompts.set(id, record)
    return record
  }

  /**
   * End a prompt: history then answers `{<id>: entry}`; output images become servable by /view.
   * `error` records an `execution_error` (with `failure`'s details when given), `interrupted` an
   * `execution_interrupted`; both have `status_str: "error"` as in ComfyUI.
   */
  completePrompt(promptId: string, outputs: Outputs, status: PromptEnd = "success", failure: PromptFailure = {}): void {
    const record = this.prompts.get(promptId) ?? this.queuePrompt("", promptId)
    for (const node of Object.values(outputs)) {
      for (const list of Object.values(node)) {
        if (!Array.isArray(list)) continue
        for (const item of list) {
          if (isImageRef(item) && !this.files.has(fileKey(item))) this.files.set(fileKey(item), TINY_PNG)
        }
      }
    }
    const ts = Date.now()
    const end = status === "success"
      ? ["execution_success", { prompt_id: promptId, timestamp: ts }]
      : status === "interrupted"
      ? ["execution_interrupted", { prompt_id: promptId, node_id: failure.nodeId ?? "1", node_type: failure.nodeType ?? "Fake", executed: [], timestamp: ts }]
      : ["execution_error", executionError(promptId, failure, ts)]
    record.entry = {
      prompt: [record.number, promptId, {}, { client_id: "fake", openclaw: { trace_id: record.traceId, tenant_id: "default" } }, []],
      outputs,
      status: {
        status_str: status === "success" ? "success" : "error",
        completed: status === "success",
        messages: [["execution_start", { prompt_id: promptId, timestamp: ts }], end]
      },
      meta: {}
    }
  }

  addFile(ref: ImageRef, bytes: Uint8Array): void {
    this.files.set(fileKey(ref), bytes)
  }

  file(ref: ImageRef): Uint8Array | undefined {
    return this.files.get(fileKey(ref))
  }

  createApproval(templateId: string, inputs: Record<string, unknown>, traceId: string): Approval {
    const now = Date.now()
    const approval: Approval = {
      approval_id: `apr_${randomBytes(6).toString("hex")}`,
      template_id: templateId,
      inputs,
      source: "trigger",
      trace_id: traceId,
      tenant_id: "default",
      status: "pending",
      requested_at: isoUtc(now),
      requested_by: null,
      expires_at: isoUtc(now + 3600_000),
      approved_at: null,
      rejected_at: null,
      decision_by: null,
      delivery: null,
      metadata: {}
    }
    this.approvals.set(approval.approval_id, approval)
    return approval
  }

  /** Approvals are expired lazily, as the real store does on list calls and approve attempts. */
  expireDue(now = Date.now()): void {
    for (const a of this.approvals.values()) {
      if (a.status === "pending" && Date.parse(a.expires_at) <= now) a.status = "expired"
    }
  }

  /** What an operator's click in the OpenClaw UI does: approve and execute as `promptId`. */
  approveInUi(approvalId: string, promptId: string = randomUUID()): string {
    const approval = this.approvals.get(approvalId)
    if (approval === undefined) throw new Error(`fake backend: no approval ${approvalId}`)
    const now = isoUtc(Date.now())
    approval.status = "approved"
    approval.approved_at = now
    approval.decision_by = "ui"
    this.queuePrompt(approval.trace_id, promptId)
    approval.metadata = { executed_prompt_id: promptId, executed_trace_id: approval.trace_id, executed_at: now }
    return promptId
  }
}

const isImageRef = (value: unknown): value is ImageRef =>
  typeof value === "object" && value !== null &&
  typeof (value as ImageRef).filename === "string" &&
  typeof (value as ImageRef).subfolder === "string" &&
  typeof (value as ImageRef).type === "string"
