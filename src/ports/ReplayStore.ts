import { Context, Effect } from "effect"
import type { StoreError } from "./StoreError.js"

/**
 * Outcome of claiming an inbound event key.
 * - `claimed`: first sight; the caller processes the event, then commits or releases it.
 * - `retry_claimed`: an earlier attempt released the key as retryable; process again.
 * - `duplicate_in_flight`: another worker holds the claim right now.
 * - `duplicate_after_success`: already processed and committed: acknowledge, do nothing.
 * - `duplicate_after_terminal_failure`: already failed for good: acknowledge, do nothing.
 */
export type ClaimOutcome =
  | "claimed"
  | "retry_claimed"
  | "duplicate_in_flight"
  | "duplicate_after_success"
  | "duplicate_after_terminal_failure"

export const isAccepted = (outcome: ClaimOutcome): boolean =>
  outcome === "claimed" || outcome === "retry_claimed"

/**
 * The replay lifecycle of inbound events (claim -> commit | release | fail), keyed by a
 * platform-built event key. A key stays remembered for `ttlMillis` after its last transition,
 * whatever the number of other keys: there is no capacity bound that forgets under load.
 * Claims are atomic: of two concurrent claims of one key exactly one is accepted.
 * Time comes from Effect's `Clock`, so tests drive it with `TestClock`.
 */
export class ReplayStore extends Context.Tag("ports/ReplayStore")<ReplayStore, {
  readonly claim: (key: string, ttlMillis: number) => Effect.Effect<ClaimOutcome, StoreError>
  /** claimed | retryable -> delivered (duplicates are then acknowledged as no-ops). */
  readonly commit: (key: string, ttlMillis: number) => Effect.Effect<void, StoreError>
  /** claimed -> retryable (the next claim is accepted as `retry_claimed`). */
  readonly release: (key: string, ttlMillis: number) => Effect.Effect<void, StoreError>
  /** claimed | retryable -> terminal failure (duplicates are acknowledged, never re-run). */
  readonly fail: (key: string, ttlMillis: number) => Effect.Effect<void, StoreError>
}>() {}
