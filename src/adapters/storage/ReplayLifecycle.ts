import { Effect } from "effect"
import type { ClaimOutcome } from "../../ports/ReplayStore.js"
import { StoreError } from "../../ports/StoreError.js"

/**
 * The replay lifecycle shared by every ReplayStore adapter (spec platforms-slack-feishu §8.1):
 * a record is `claimed`, `retryable`, `delivered` or `terminal`, and is forgotten once
 * `ttl` has passed since its last transition. A duplicate claim refreshes nothing that matters:
 * its expiry stays where the last transition put it.
 */
export type ReplayState = "claimed" | "retryable" | "delivered" | "terminal"

export interface ReplayRecord {
  readonly state: ReplayState
  readonly claimCount: number
  readonly updatedAt: number
  readonly expiresAt: number
}

/** The allowed moves; anything else leaves the record unchanged. */
export const TRANSITIONS = {
  commit: { target: "delivered", from: ["claimed", "retryable"] },
  release: { target: "retryable", from: ["claimed"] },
  fail: { target: "terminal", from: ["claimed", "retryable"] }
} as const satisfies Record<string, { readonly target: ReplayState; readonly from: ReadonlyArray<ReplayState> }>

export type Transition = keyof typeof TRANSITIONS

/** What a claim answers for a live record in each state. */
export const LIVE_CLAIM_OUTCOME: Readonly<Record<ReplayState, ClaimOutcome>> = {
  claimed: "duplicate_in_flight",
  retryable: "retry_claimed",
  delivered: "duplicate_after_success",
  terminal: "duplicate_after_terminal_failure"
}

const MAX_KEY_LENGTH = 1024
/** Ten years: large enough to mean "keep", small enough to stay an exact integer in every store. */
const MAX_TTL_MILLIS = 10 * 365 * 24 * 3600 * 1000

/** Keys are trimmed; an empty or oversized key is refused (fail closed: the event is not admitted). */
export const normalizeKey = (key: string, operation: string): Effect.Effect<string, StoreError> => {
  const trimmed = key.trim()
  return trimmed === "" || trimmed.length > MAX_KEY_LENGTH
    ? Effect.fail(new StoreError({ reason: "invalid-key", operation }))
    : Effect.succeed(trimmed)
}

/** TTLs are whole milliseconds of at least 1 (the reference clamps to a minimum too). */
export const clampTtl = (ttlMillis: number): number =>
  Number.isNaN(ttlMillis) ? 1 : Math.min(Math.max(1, Math.floor(ttlMillis)), MAX_TTL_MILLIS)

/** The outcome of a claim and the record to store afterwards. */
export const claimStep = (
  current: ReplayRecord | undefined,
  now: number,
  ttl: number
): { readonly outcome: ClaimOutcome; readonly next: ReplayRecord } => {
  if (current === undefined || current.expiresAt <= now) {
    return { outcome: "claimed", next: { state: "claimed", claimCount: 1, updatedAt: now, expiresAt: now + ttl } }
  }
  if (current.state === "retryable") {
    return {
      outcome: "retry_claimed",
      next: { state: "claimed", claimCount: current.claimCount + 1, updatedAt: now, expiresAt: now + ttl }
    }
  }
  return { outcome: LIVE_CLAIM_OUTCOME[current.state], next: { ...current, updatedAt: now } }
}

/** The record after `transition`, or `undefined` when it does not apply (missing, expired or not allowed). */
export const transitionStep = (
  current: ReplayRecord | undefined,
  transition: Transition,
  now: number,
  ttl: number
): ReplayRecord | undefined => {
  const { from, target } = TRANSITIONS[transition]
  if (current === undefined || current.expiresAt <= now) return undefined
  if (!(from as ReadonlyArray<ReplayState>).includes(current.state)) return undefined
  return { state: target, claimCount: current.claimCount, updatedAt: now, expiresAt: now + ttl }
}
