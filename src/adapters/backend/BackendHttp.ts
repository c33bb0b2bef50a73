import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Cause, Duration, Effect, Exit, Layer, Metric, Option, Redacted } from "effect"
import { isSafeId } from "../../domain/model/Ids.js"
import { backendLatency } from "../../domain/model/Metrics.js"
import { Backend, type BackendError } from "../../ports/Backend.js"
import { invalidId, readBytes, readJson, timedOut, unreachable } from "./BackendResponse.js"

export interface BackendHttpOptions {
  /** OPENCLAW_CONNECTOR_URL; a trailing `/` is ignored. */
  readonly baseUrl: string
  /** Sent as `X-OpenClaw-Admin-Token` only when present and non-empty. */
  readonly adminToken: Option.Option<Redacted.Redacted<string>>
  /** Total time per call: 10 s by default, 120 s for LLM chat and for /view (tests shorten them). */
  readonly timeouts?: {
    readonly default?: Duration.DurationInput
    readonly llm?: Duration.DurationInput
    readonly view?: Duration.DurationInput
  }
  /** Largest /view answer accepted (default 50 MiB); larger ones are refused as `rejected`. */
  readonly maxViewBytes?: number
}

const USER_AGENT = "OpenClaw-Connector/0.1.0"
const MAX_JSON_BYTES = 16 * 1024 * 1024

type Outcome = "ok" | BackendError["reason"] | "interrupted" | "defect"

const outcomeOf = <A>(exit: Exit.Exit<A, BackendError>): Outcome =>
  Exit.match(exit, {
    onSuccess: () => "ok",
    onFailure: (cause) =>
      Option.match(Cause.failureOption(cause), {
        onSome: (error) => error.reason,
        onNone: () => (Cause.isInterruptedOnly(cause) ? "interrupted" : "defect")
      })
  })

const make = (options: BackendHttpOptions) =>
  Effect.gen(function*() {
    // Client spans would copy the admin token header into span attributes: tracing stays off here.
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const baseUrl = options.baseUrl.replace(/\/+$/, "")
    const token = Option.filter(options.adminToken, (t) => Redacted.value(t) !== "")
    const timeouts = {
      default: Duration.decode(options.timeouts?.default ?? "10 seconds"),
      llm: Duration.decode(options.timeouts?.llm ?? "120 seconds"),
      view: Duration.decode(options.timeouts?.view ?? "120 seconds")
    }
    const maxViewBytes = options.maxViewBytes ?? 50 * 1024 * 1024

    const withHeaders = (request: HttpClientRequest.HttpClientRequest) =>
      Option.match(token, {
        onNone: () => request,
        onSome: (t) => HttpClientRequest.setHeader(request, "X-OpenClaw-Admin-Token", Redacted.value(t))
      }).pipe(HttpClientRequest.setHeader("User-Agent", USER_AGENT))

    /** Records the call's latency in `backendLatency` by operation and outcome. */
    const track = (operation: string) => <A>(effect: Effect.Effect<A, BackendError>) =>
      Effect.gen(function*() {
        const [elapsed, exit] = yield* Effect.timed(Effect.exit(effect))
        yield* Metric.update(backendLatency(operation, outcomeOf(exit)), Duration.toSeconds(elapsed))
        return yield* exit
      })

    /** One backend call: transport failures and timeouts become `unreachable` with a fixed text. */
    const call = <A>(
      operation: string,
      request: HttpClientRequest.HttpClientRequest,
      timeout: Duration.Duration,
      read: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<A, BackendError>
    ): Effect.Effect<A, BackendError> =>
      client.execute(withHeaders(request)).pipe(
        Effect.catchTags({ RequestError: unreachable, ResponseError: unreachable }),
        Effect.flatMap(read),
        Effect.timeoutFail({ duration: timeout, onTimeout: timedOut }),
        track(operation)
      )

    const json = (operation: string, request: HttpClientRequest.HttpClientRequest, timeout = timeouts.default) =>
      call(operation, request, timeout, (response) => readJson(response, MAX_JSON_BYTES))

    const url = (path: string) => `${baseUrl}${path}`
    const get = (path: string) => HttpClientRequest.get(url(path))
    const post = (path: string, body: unknown) => HttpClientRequest.post(url(path)).pipe(HttpClientRequest.bodyUnsafeJson(body))

    /** An id for a URL path: refused before anything is sent unless it passes `isSafeId`. */
    const withId = <A>(what: string, id: string, f: (encoded: string) => Effect.Effect<A, BackendError>) =>
      isSafeId(id) ? f(encodeURIComponent(id)) : Effect.fail(invalidId(what))

    return Backend.of({
      health: json("health", get("/openclaw/health")),
      config: json("config", get("/openclaw/config")),
      templates: json("templates", get("/openclaw/templates")),
      chatLlm: (r) =>
        json("llm_chat", post("/openclaw/llm/chat", {
          system: r.system,
          user_message: r.userMessage,
          temperature: r.temperature,
          max_tokens: r.maxTokens
        }), timeouts.llm),
      promptQueue: json("prompt_queue", get("/api/prompt")),
      history: (id) => withId("prompt id", id, (p) => json("history", get(`/history/${p}`))),
      trace: (id) => withId("prompt id", id, (p) => json("trace", get(`/openclaw/trace/${p}`))),
      jobs: json("jobs", get("/openclaw/jobs")),
      submitJob: (r) =>
        Effect.suspend(() =>
          json("submit_job", post("/openclaw/triggers/fire", {
            template_id: r.templateId,
            inputs: r.inputs,
            trace_id: crypto.randomUUID(),
            require_approval: r.requireApproval
          }))
        ),
      cancelJob: (id) => withId("job id", id, (j) => json("cancel_job", post(`/api/jobs/${j}/cancel`, {}))),
      cancelJobs: (ids) => json("cancel_jobs", post("/api/jobs/cancel", { job_ids: ids })),
      interrupt: (promptId) =>
        json("interrupt", post("/api/interrupt", promptId === undefined ? {} : { prompt_id: promptId })),
      view: (r) =>
        call(
          "view",
          HttpClientRequest.get(url("/view"), {
            urlParams: { filename: r.filename, subfolder: r.subfolder, type: r.type }
          }),
          timeouts.view,
          (response) => readBytes(response, maxViewBytes)
        ),
      pendingApprovals: json("approvals", HttpClientRequest.get(url("/openclaw/approvals"), { urlParams: { status: "pending" } })),
      approval: (id) => withId("approval id", id, (a) => json("approval", get(`/openclaw/approvals/${a}`))),
      approve: (id, autoExecute) =>
        withId("approval id", id, (a) =>
          json("approve", post(`/openclaw/approvals/${a}/approve`, { auto_execute: autoExecute }))),
      reject: (id, reason) =>
        withId("approval id", id, (a) => json("reject", post(`/openclaw/approvals/${a}/reject`, { reason }))),
      schedules: json("schedules", get("/openclaw/schedules")),
      runSchedule: (id) =>
        withId("schedule id", id, (s) => json("run_schedule", HttpClientRequest.post(url(`/openclaw/schedules/${s}/run`))))
    })
  })

/** The `Backend` port over HTTP (spec backend-and-delivery Part A). */
export const BackendHttp = {
  layer: (options: BackendHttpOptions): Layer.Layer<Backend, never, HttpClient.HttpClient> =>
    Layer.effect(Backend, make(options))
}
