import { Either } from "effect"

/**
 * The strict v1 jobs contract (spec/domain-core.md §8.9, backend-and-delivery.md §3.6) and its
 * chat rendering. Validation is total: anything that is not exactly a v1 snapshot is refused,
 * and nothing from the payload except ids, statuses and counts ever reaches the reply.
 */
export const JOBS_CONTRACT_VERSION = 1
export const MAX_RETURNED_JOBS = 200
export const MAX_SNAPSHOT_TOTAL = 10_000
export const MAX_JOB_ID_LENGTH = 128
export const MAX_DISPLAY_JOB_ID_LENGTH = 24
export const MAX_JOBS_SUMMARY_LENGTH = 1000
export const MAX_QUEUE_REMAINING = 1_000_000
export const MAX_NORMALIZATION_WARNINGS = 2
const SHOWN_JOBS = 5

export const JOBS_TEXT = {
  empty: "[Jobs] No jobs in the authoritative snapshot.",
  malformed: "[Jobs] Malformed or unsupported jobs response.",
  accessDenied: "[Jobs] Access denied. Check connector Admin authorization and token posture.",
  couldNotFetch: "[Jobs] Could not fetch the authoritative jobs snapshot.",
  queueUnavailable: "[Jobs fallback] Coarse queue count is unavailable."
} as const

export const JOB_STATUSES = ["pending", "in_progress", "completed", "failed", "cancelled"] as const
export type JobStatus = typeof JOB_STATUSES[number]

const STATUS_LABEL: Record<JobStatus, string> = {
  pending: "pending",
  in_progress: "in progress",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled"
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export interface JobsSnapshot {
  readonly jobs: ReadonlyArray<{ readonly id: string; readonly status: JobStatus }>
  readonly offset: number
  readonly limit: number
  readonly total: number
  readonly hasMore: boolean
}

/** Which rule of the contract a payload broke (for logs; the user only sees `JOBS_TEXT.malformed`). */
export type JobsContractViolation =
  | "not-ok"
  | "version"
  | "jobs"
  | "sections"
  | "job"
  | "pagination"
  | "inconsistent"
  | "too-long"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isStatus = (u: unknown): u is JobStatus => JOB_STATUSES.some((s) => s === u)
/** An integer in [min, max]; booleans and non-integers are refused. */
const intIn = (u: unknown, min: number, max: number): u is number =>
  typeof u === "number" && Number.isInteger(u) && u >= min && u <= max

export const validateJobsSnapshot = (payload: unknown): Either.Either<JobsSnapshot, JobsContractViolation> => {
  if (!isRecord(payload) || payload["ok"] !== true) return Either.left("not-ok")
  if (payload["contract_version"] !== JOBS_CONTRACT_VERSION) return Either.left("version")
  const jobs = payload["jobs"]
  if (!Array.isArray(jobs) || jobs.length > MAX_RETURNED_JOBS) return Either.left("jobs")
  const pagination = payload["pagination"]
  if (!isRecord(pagination) || !isRecord(payload["source"]) || !isRecord(payload["scan"])) return Either.left("sections")
  const valid: Array<{ id: string; status: JobStatus }> = []
  for (const job of jobs) {
    if (!isRecord(job)) return Either.left("job")
    const id = job["id"]
    const status = job["status"]
    if (typeof id !== "string" || id.length > MAX_JOB_ID_LENGTH || !JOB_ID.test(id) || !isStatus(status)) {
      return Either.left("job")
    }
    valid.push({ id, status })
  }
  const { offset, limit, total, has_more: hasMore, warnings } = pagination
  if (
    !intIn(offset, 0, MAX_SNAPSHOT_TOTAL) || !intIn(limit, 1, MAX_RETURNED_JOBS) || !intIn(total, 0, MAX_SNAPSHOT_TOTAL) ||
    typeof hasMore !== "boolean" || !Array.isArray(warnings) || warnings.length > MAX_NORMALIZATION_WARNINGS
  ) {
    return Either.left("pagination")
  }
  const returned = valid.length
  if (returned > limit || offset + returned > total || hasMore !== (offset + returned < total)) {
    return Either.left("inconsistent")
  }
  return Either.right({ jobs: valid, offset, limit, total, hasMore })
}

const displayId = (id: string): string =>
  id.length <= MAX_DISPLAY_JOB_ID_LENGTH ? id : `${id.slice(0, MAX_DISPLAY_JOB_ID_LENGTH - 3)}...`

export const renderJobsSnapshot = (snapshot: JobsSnapshot): Either.Either<string, JobsContractViolation> => {
  if (snapshot.total === 0) return Either.right(JOBS_TEXT.empty)
  const count = (s: JobStatus) => snapshot.jobs.filter((j) => j.status === s).length
  const [p, ip, c, f, x] = JOB_STATUSES.map(count) as [number, number, number, number, number]
  const lines = [
    "[Jobs] Authoritative snapshot",
    `Snapshot total: ${snapshot.total}; returned page: ${snapshot.jobs.length}`,
    `Page states: Active ${p + ip} (pending ${p}, in progress ${ip}); ` +
      `Terminal ${c + f + x} (completed ${c}, failed ${f}, cancelled ${x})`,
    ...snapshot.jobs.slice(0, SHOWN_JOBS).map((j) => `- ${displayId(j.id)} \u2014 ${STATUS_LABEL[j.status]}`)
  ]
  if (snapshot.jobs.length > SHOWN_JOBS) lines.push(`Showing ${SHOWN_JOBS} of ${snapshot.jobs.length} returned jobs.`)
  if (snapshot.jobs.length === 0) lines.push("No jobs are present on this page.")
  const text = lines.join("\n")
  return text.length > MAX_JOBS_SUMMARY_LENGTH ? Either.left("too-long") : Either.right(text)
}

/** The `/jobs` reply for a success body: the rendered snapshot, or the fixed malformed text. */
export const formatJobsSummary = (payload: unknown): string =>
  Either.getOrElse(Either.flatMap(validateJobsSnapshot(payload), renderJobsSnapshot), () => JOBS_TEXT.malformed)

/**
 * The coarse fallback from ComfyUI's `GET /api/prompt` body (`{exec_info: {queue_remaining}}`):
 * only an integer count in [0, 1,000,000] is shown, never anything else from the body.
 */
export const formatQueueFallback = (body: unknown): string => {
  const execInfo = isRecord(body) ? body["exec_info"] : undefined
  const remaining = isRecord(execInfo) ? execInfo["queue_remaining"] : undefined
  return intIn(remaining, 0, MAX_QUEUE_REMAINING)
    ? `[Jobs fallback] Queue remaining: ${remaining} (coarse count; not an authoritative jobs snapshot).`
    : JOBS_TEXT.queueUnavailable
}
