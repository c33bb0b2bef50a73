import { Effect, Either } from "effect"
import { Backend, type BackendError } from "../../ports/Backend.js"
import type { CommandRequest } from "../model/Request.js"
import { type Reply, textReply } from "../model/Reply.js"
import { formatJobsSummary, formatQueueFallback, JOBS_TEXT } from "./JobsSummary.js"

export { formatJobsSummary, formatQueueFallback } from "./JobsSummary.js"

/**
 * The only two failures that mean "this host has no authoritative jobs read model": then, and
 * only then, the coarse ComfyUI queue count is shown instead.
 */
const FALLBACK_ERRORS: ReadonlyArray<readonly [number, string]> = [
  [501, "jobs_host_contract_unsupported"],
  [503, "jobs_backend_unavailable"]
]

const errorCode = (error: BackendError): unknown =>
  typeof error.body === "object" && error.body !== null ? (error.body as Record<string, unknown>)["error"] : undefined

const allowsFallback = (error: BackendError): boolean =>
  error.reason === "rejected" &&
  FALLBACK_ERRORS.some(([status, code]) => error.status === status && errorCode(error) === code)

const isAccessDenied = (error: BackendError): boolean =>
  error.reason === "rejected" && (error.status === 401 || error.status === 403)

/**
 * `/jobs`, `jobs`, `queue` (spec/domain-core.md §8.9), after authorization and the admin-token
 * guard. Replies only with fixed texts and validated counts: the backend's error text is never
 * echoed, and the queue is fetched only for the two fallback failures. Arguments are ignored.
 */
export const jobsCommand = (
  _request: CommandRequest,
  _args: ReadonlyArray<string>
): Effect.Effect<Reply, never, Backend> =>
  Effect.gen(function*() {
    const backend = yield* Backend
    const result = yield* Effect.either(backend.jobs)
    if (Either.isRight(result)) return textReply(formatJobsSummary(result.right))
    const error = result.left
    if (isAccessDenied(error)) return textReply(JOBS_TEXT.accessDenied)
    if (allowsFallback(error)) {
      const queue = yield* Effect.either(backend.promptQueue)
      return textReply(Either.isRight(queue) ? formatQueueFallback(queue.right) : JOBS_TEXT.queueUnavailable)
    }
    // A success status with an unreadable body is what the reference renders as malformed.
    if (error.reason === "malformed") return textReply(JOBS_TEXT.malformed)
    return textReply(JOBS_TEXT.couldNotFetch)
  }).pipe(Effect.withSpan("Jobs.jobsCommand"))
