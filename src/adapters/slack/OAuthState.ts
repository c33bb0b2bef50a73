import { randomBytes } from "node:crypto"
import { Clock, Effect } from "effect"

/**
 * Single-use OAuth `state` values for the Slack install flow (spec platforms-slack-feishu §2.8
 * "State tokens"): 32 random bytes as base64url (43 characters), valid for the configured TTL,
 * consumed at most once. A consumed, unknown, malformed or expired state is refused (fail closed).
 *
 * Kept in process memory, deliberately: a state lives minutes, belongs to one browser round trip,
 * and Slack sends the user back to the same connector. A restart between "Add to Slack" and the
 * callback makes that one install fail with "Invalid or replayed OAuth state" (the user starts
 * again); nothing is accepted that should not be. At most MAX_PENDING states are held; beyond
 * that the oldest is forgotten, so a flood of /slack/install requests cannot exhaust memory.
 */
export interface OAuthStates {
  readonly issue: Effect.Effect<string>
  /** `true` exactly once for a state issued less than the TTL ago. */
  readonly consume: (state: string) => Effect.Effect<boolean>
}

export const MAX_PENDING = 10_000
const STATE_FORMAT = /^[A-Za-z0-9_-]{43}$/

/** `pending`: state -> issued at (epoch millis), insertion order being issue order (tests pass their own). */
export const makeOAuthStates = (ttlMillis: number, maxPending = MAX_PENDING, pending = new Map<string, number>()): OAuthStates => {
  const expired = (issuedAt: number, now: number) => now - issuedAt > ttlMillis
  /** Drops expired states from the oldest on; states are in issue order, so the first live one ends it. */
  const prune = (now: number) => {
    for (const [state, issuedAt] of pending) {
      if (!expired(issuedAt, now)) return
      pending.delete(state)
    }
  }
  return {
    issue: Effect.map(Clock.currentTimeMillis, (now) => {
      prune(now)
      while (pending.size >= maxPending) {
        const oldest = pending.keys().next()
        if (oldest.done === true) break
        pending.delete(oldest.value)
      }
      const state = randomBytes(32).toString("base64url")
      pending.set(state, now)
      return state
    }),
    consume: (raw) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        prune(now)
        const state = raw.trim()
        if (!STATE_FORMAT.test(state)) return false
        // Deleting first makes the check-and-consume one step: a second caller finds nothing.
        // Expiry is checked on the state itself too (pruning stops at the first live state).
        const issuedAt = pending.get(state)
        pending.delete(state)
        return issuedAt !== undefined && !expired(issuedAt, now)
      })
  }
}
