import { Effect, Either } from "effect"
import { Texts } from "../render/Texts.js"
import { Backend, type BackendError } from "../../ports/Backend.js"
import { adminTokenGuard, failed, type HandlerInput, idGuard, ok, usage } from "./Handled.js"

/**
 * Stop targets: every arg split on commas and whitespace, empty pieces dropped, duplicates removed
 * keeping the first occurrence.
 */
export const stopTargets = (args: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...new Set(args.flatMap((arg) => arg.split(/[,\s]+/)).filter((piece) => piece !== ""))
]

const UNSUPPORTED_STATUSES = new Set([404, 405, 501])
const UNSUPPORTED_MARKERS = ["404", "not found", "method not allowed", "unsupported", "not implemented"]

/**
 * Whether a failed single cancel means "this ComfyUI has no jobs-cancel API" (an older host), in
 * which case a targeted interrupt is the fallback. An id refused before sending never qualifies.
 */
export const cancelUnsupported = (error: BackendError): boolean =>
  error.reason !== "invalid-id" &&
  ((error.status !== undefined && UNSUPPORTED_STATUSES.has(error.status)) ||
    UNSUPPORTED_MARKERS.some((marker) => error.message.toLowerCase().includes(marker)))

/**
 * `/stop`, `/cancel`, `/interrupt` (ADMIN; token guard first). No args: global interrupt. Args
 * that hold only separators: usage error, never a global interrupt. One target: cancel, falling
 * back to a targeted interrupt when cancel is unsupported. Several: one batch cancel, no fallback.
 * A targeted stop never degrades into a global interrupt.
 */
export const stopCommand = Effect.fn("Stop.command")(function*({ args, settings }: HandlerInput) {
  const guarded = adminTokenGuard(settings)
  if (guarded !== undefined) return guarded
  const backend = yield* Backend

  if (args.length === 0) {
    const result = yield* Effect.either(backend.interrupt())
    return Either.isRight(result)
      ? ok("[Stop] Global Interrupt sent to ComfyUI.")
      : failed(`[Stop Failed] ${result.left.message}`)
  }

  const targets = stopTargets(args)
  const [first] = targets
  if (first === undefined) return usage(Texts.stopUsage)
  const badId = idGuard(...targets)
  if (badId !== undefined) return badId

  if (targets.length === 1) {
    const cancelled = yield* Effect.either(backend.cancelJob(first))
    if (Either.isRight(cancelled)) return ok(`[Stop] Cancellation requested for job ${first}.`)
    if (!cancelUnsupported(cancelled.left)) return failed(`[Stop Failed] ${cancelled.left.message}`)
    const interrupted = yield* Effect.either(backend.interrupt(first))
    return Either.isRight(interrupted)
      ? ok(`[Stop] Targeted interrupt sent for job ${first} (jobs cancel unsupported).`)
      : failed(`[Stop Failed] ${interrupted.left.message}`)
  }

  const cancelled = yield* Effect.either(backend.cancelJobs(targets))
  return Either.isRight(cancelled)
    ? ok(`[Stop] Cancellation requested for ${targets.length} jobs.`)
    : failed(`[Stop Failed] ${cancelled.left.message}`)
})
