/**
 * The delivery worker's clock rules, pure. All times are epoch milliseconds from Effect's Clock.
 */

export interface DeliverySettings {
  /** OPENCLAW_CONNECTOR_DELIVERY_MAX_IMAGES: the first N images of a job are delivered. */
  readonly maxImages: number
  /** OPENCLAW_CONNECTOR_DELIVERY_MAX_BYTES: larger images are skipped with a notice. */
  readonly maxBytes: number
  /** OPENCLAW_CONNECTOR_DELIVERY_TIMEOUT_SEC: how long a job is followed before it times out. */
  readonly timeoutSec: number
  /** An entry still open this long after it was recorded ends as failed (logged). */
  readonly maxAgeMillis: number
}

/** Open entries end as failed a day after they were recorded, whatever kept them open. */
export const DEFAULT_MAX_AGE_MILLIS = 24 * 60 * 60 * 1000

/**
 * How long an approval is followed when the backend does not say when it expires: the backend's
 * default approval TTL (1 h), or the delivery timeout when that is longer.
 */
export const UNKNOWN_APPROVAL_TTL_MILLIS = 60 * 60 * 1000

/** A job resumed after its deadline still gets this long, so a finished one is found in history. */
export const RESUME_GRACE_MILLIS = 30_000

/** At most one edit of a status message per this interval. */
export const EDIT_INTERVAL_MILLIS = 2_000

/** The typing indicator is renewed at most this often (Telegram's lasts ~5 s). */
export const TYPING_INTERVAL_MILLIS = 5_000

/** A follow stream that ended without a terminal signal is followed again after this pause. */
export const REFOLLOW_PAUSE_MILLIS = 5_000

/**
 * The reference's approval poll: immediately, then after 2, 4, 8 and then every 15 s.
 * `n` is the number of polls made so far (n >= 1).
 */
export const approvalPollDelayMillis = (n: number): number => Math.min(2_000 * 2 ** Math.min(Math.max(0, n - 1), 4), 15_000)

/** Wait before retry `attempt` (>= 1) of a paused delivery: 2, 4, 8 ... s, capped at 60 s. */
export const retryDelayMillis = (attempt: number): number => Math.min(2_000 * 2 ** Math.min(Math.max(0, attempt - 1), 10), 60_000)

/** A job is followed until `timeoutSec` after it was recorded; a resumed one gets a grace period. */
export const jobDeadline = (createdAtMillis: number, timeoutSec: number, nowMillis: number): number =>
  Math.max(createdAtMillis + timeoutSec * 1000, nowMillis + RESUME_GRACE_MILLIS)

/**
 * An approval is followed until its own expiry when the backend gave one (an approval approved
 * in the UI after the delivery timeout is still delivered), else for the longer of the delivery
 * timeout and the backend's default TTL; never past the entry's maximum age.
 */
export const approvalDeadline = (
  createdAtMillis: number,
  expiresAtMillis: number | undefined,
  settings: DeliverySettings
): number => {
  const own = expiresAtMillis ?? createdAtMillis + Math.max(settings.timeoutSec * 1000, UNKNOWN_APPROVAL_TTL_MILLIS)
  return Math.min(own, createdAtMillis + settings.maxAgeMillis)
}

/** Whether an entry recorded at `createdAtMillis` has outlived the maximum age. */
export const tooOld = (createdAtMillis: number, nowMillis: number, settings: DeliverySettings): boolean =>
  nowMillis - createdAtMillis >= settings.maxAgeMillis
