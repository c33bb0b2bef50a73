import { Effect, Either } from "effect"
import { Texts } from "../render/Texts.js"
import { boundedJson, display, field, isRecord, nonEmptyString } from "../render/Values.js"
import { sanitizeOperatorPayload } from "../trace/Sanitize.js"
import { Backend } from "../../ports/Backend.js"
import { adminTokenGuard, failed, type HandlerInput, idGuard, ok, usage } from "./Handled.js"

export const TRACE_MAX_CHARS = 1000

/**
 * The status of one prompt in a GET /history/{id} body: ComfyUI nests the entry under the id
 * (`{<id>: {status: {status_str}}}`); a top-level `status` is accepted too. `pending` when the
 * body is `{}` (ComfyUI has no entry while a prompt is queued or running).
 */
export const historyStatus = (body: unknown, promptId: string): string => {
  if (isRecord(body) && Object.keys(body).length === 0) return "pending"
  const nested = nonEmptyString(field(field(field(body, promptId), "status"), "status_str"))
  return nested ?? nonEmptyString(field(field(body, "status"), "status_str")) ?? "unknown"
}

/**
 * `/history <prompt_id>` (PUBLIC). Replies `Job <id>: <status_str>` plus the reference's second
 * line; for a prompt with no history entry yet: `Job <id>: pending` and a line saying why.
 */
export const historyCommand = Effect.fn("History.command")(function*({ args }: HandlerInput) {
  const [id] = args
  if (id === undefined) return usage(Texts.historyUsage)
  const badId = idGuard(id)
  if (badId !== undefined) return badId
  const backend = yield* Backend
  const result = yield* Effect.either(backend.history(id))
  if (Either.isLeft(result)) return failed(`[Error] ${result.left.message}`)
  const status = historyStatus(result.right, id)
  return ok(
    status === "pending"
      ? `Job ${id}: pending\nNo history entry yet: the job is queued or still running (or the id is unknown).`
      : `Job ${id}: ${display(status)}\nFull details: not implemented in connector view yet.`
  )
})

/**
 * `/trace <prompt_id>` (ADMIN; usage, then token guard). Shows the sanitised body as JSON, cut to
 * 1000 characters with `...` only when something was cut.
 */
export const traceCommand = Effect.fn("Trace.command")(function*({ args, settings }: HandlerInput) {
  const [id] = args
  if (id === undefined) return usage(Texts.traceUsage)
  const guarded = adminTokenGuard(settings) ?? idGuard(id)
  if (guarded !== undefined) return guarded
  const backend = yield* Backend
  const result = yield* Effect.either(backend.trace(id))
  if (Either.isLeft(result)) return failed(`[Error] ${result.left.message}`)
  return ok(`Trace ${id}: ${boundedJson(sanitizeOperatorPayload(result.right), TRACE_MAX_CHARS)}`)
})
