import { Context, Effect, Schema } from "effect"

/**
 * Why a backend call did not succeed.
 * - `unreachable`: transport failure or timeout; no HTTP status.
 * - `rejected`: the backend answered with a status other than 200/201/202.
 * - `malformed`: a success status whose body could not be read as expected.
 * - `invalid-id`: an id meant for a URL path failed the safe-id check; nothing was sent.
 */
export class BackendError extends Schema.TaggedError<BackendError>()("BackendError", {
  reason: Schema.Literal("unreachable", "rejected", "malformed", "invalid-id"),
  /** HTTP status when the backend answered. */
  status: Schema.optional(Schema.Number),
  /**
   * The reference's user-visible error text: body `error`, else body `message`, else `HTTP <status>`
   * (or `HTTP <status>: <text>` for a non-JSON body); for transport failures a short bounded text
   * that never contains a URL or a token.
   */
  message: Schema.String,
  /** The parsed JSON error body when there was one (object bodies only). */
  body: Schema.optional(Schema.Unknown)
}) {}

/** Any JSON value as parsed from a backend response body; `{}` for an empty or non-JSON 2xx body. */
export type Json = unknown

export interface SubmitJobRequest {
  readonly templateId: string
  readonly inputs: Readonly<Record<string, string>>
  readonly requireApproval: boolean
}

export interface LlmChatRequest {
  readonly system: string
  readonly userMessage: string
  readonly temperature: number
  readonly maxTokens: number
}

export interface ViewRequest {
  readonly filename: string
  readonly subfolder: string
  readonly type: string
}

/**
 * Every call the connector makes to the OpenClaw/ComfyUI server (spec/backend-and-delivery.md
 * Part A). Success carries the parsed JSON body of a 200/201/202 answer; every other outcome is a
 * typed `BackendError`. The adapter adds `User-Agent` and, when configured, the admin token header
 * to every request, applies the reference timeouts (10 s, 120 s for LLM chat), validates and
 * URL-encodes ids placed in paths, and never logs a token-bearing URL.
 */
export class Backend extends Context.Tag("ports/Backend")<Backend, {
  /** GET /openclaw/health */
  readonly health: Effect.Effect<Json, BackendError>
  /** GET /openclaw/config */
  readonly config: Effect.Effect<Json, BackendError>
  /** GET /openclaw/templates (body `{ok, templates, count}`). */
  readonly templates: Effect.Effect<Json, BackendError>
  /** POST /openclaw/llm/chat `{system, user_message, temperature, max_tokens}`, 120 s timeout. */
  readonly chatLlm: (request: LlmChatRequest) => Effect.Effect<Json, BackendError>
  /** GET /api/prompt (`{exec_info: {queue_remaining}}`). */
  readonly promptQueue: Effect.Effect<Json, BackendError>
  /** GET /history/{id} (`{}` while running, `{<id>: entry}` once ended). */
  readonly history: (promptId: string) => Effect.Effect<Json, BackendError>
  /** GET /openclaw/trace/{id} */
  readonly trace: (promptId: string) => Effect.Effect<Json, BackendError>
  /** GET /openclaw/jobs (strict v1 contract, validated by the core). */
  readonly jobs: Effect.Effect<Json, BackendError>
  /**
   * POST /openclaw/triggers/fire `{template_id, inputs, trace_id, require_approval}`; the adapter
   * mints a fresh UUID v4 trace id per call. 202 `{pending, approval_id, ...}` or 200 `{prompt_id, ...}`.
   */
  readonly submitJob: (request: SubmitJobRequest) => Effect.Effect<Json, BackendError>
  /** POST /api/jobs/{id}/cancel with `{}`. */
  readonly cancelJob: (jobId: string) => Effect.Effect<Json, BackendError>
  /** POST /api/jobs/cancel `{job_ids}`. */
  readonly cancelJobs: (jobIds: ReadonlyArray<string>) => Effect.Effect<Json, BackendError>
  /** POST /api/interrupt with `{}` (global) or `{prompt_id}` (targeted; never degraded to global). */
  readonly interrupt: (promptId?: string) => Effect.Effect<Json, BackendError>
  /** GET /view?filename&subfolder&type: the file's bytes. */
  readonly view: (request: ViewRequest) => Effect.Effect<Uint8Array, BackendError>
  /** GET /openclaw/approvals?status=pending (body `{approvals, count, pending_count}`). */
  readonly pendingApprovals: Effect.Effect<Json, BackendError>
  /** GET /openclaw/approvals/{id} (body `{approval}`). */
  readonly approval: (approvalId: string) => Effect.Effect<Json, BackendError>
  /** POST /openclaw/approvals/{id}/approve `{auto_execute}`. */
  readonly approve: (approvalId: string, autoExecute: boolean) => Effect.Effect<Json, BackendError>
  /** POST /openclaw/approvals/{id}/reject `{reason}`. */
  readonly reject: (approvalId: string, reason: string) => Effect.Effect<Json, BackendError>
  /** GET /openclaw/schedules (body `{schedules, count}`). */
  readonly schedules: Effect.Effect<Json, BackendError>
  /** POST /openclaw/schedules/{id}/run with no body. */
  readonly runSchedule: (scheduleId: string) => Effect.Effect<Json, BackendError>
}>() {}
