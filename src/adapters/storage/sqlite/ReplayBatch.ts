import type { ClaimOutcome } from "../../../ports/ReplayStore.js"
import { type Transition, TRANSITIONS } from "../ReplayLifecycle.js"

/**
 * SQL for one batch of replay operations: a single multi-row upsert for every claim and a single
 * `UPDATE ... FROM (VALUES ...)` per transition kind, whatever the batch size. The statement
 * overhead of the SQL client is paid per statement, so this keeps the per-event cost flat.
 */
export interface ClaimOp {
  readonly key: string
  readonly now: number
  readonly expiresAt: number
}

export interface TransitionOp extends ClaimOp {
  readonly transition: Transition
}

export interface Query {
  readonly text: string
  readonly params: ReadonlyArray<string | number>
}

/**
 * The CASE arms are `claimStep` of ReplayLifecycle in SQL. In an upsert, bare column names are the
 * existing row and `excluded.*` the proposed one, so each row is judged at its own `now`.
 */
export const claimQuery = (ops: ReadonlyArray<ClaimOp>): Query => ({
  text: `INSERT INTO replay_claims (key, state, claim_count, updated_at, expires_at, last_outcome) VALUES ${
    ops.map(() => "(?, 'claimed', 1, ?, ?, 'claimed')").join(", ")
  }
  ON CONFLICT (key) DO UPDATE SET
    last_outcome = CASE
      WHEN expires_at <= excluded.updated_at THEN 'claimed'
      WHEN state = 'retryable' THEN 'retry_claimed'
      WHEN state = 'claimed' THEN 'duplicate_in_flight'
      WHEN state = 'delivered' THEN 'duplicate_after_success'
      WHEN state = 'terminal' THEN 'duplicate_after_terminal_failure'
      ELSE 'corrupt' END,
    claim_count = CASE
      WHEN expires_at <= excluded.updated_at THEN 1
      WHEN state = 'retryable' THEN claim_count + 1
      ELSE claim_count END,
    state = CASE WHEN expires_at <= excluded.updated_at OR state = 'retryable' THEN 'claimed' ELSE state END,
    expires_at = CASE WHEN expires_at <= excluded.updated_at OR state = 'retryable' THEN excluded.expires_at ELSE expires_at END,
    updated_at = excluded.updated_at
  RETURNING key, last_outcome`,
  params: ops.flatMap((op) => [op.key, op.now, op.expiresAt])
})

/** Moves every listed key that is live and in an allowed state; others are left as they are. */
export const transitionQuery = (transition: Transition, ops: ReadonlyArray<ClaimOp>): Query => {
  const { from, target } = TRANSITIONS[transition]
  return {
    text: `UPDATE replay_claims SET state = '${target}', updated_at = t.column2, expires_at = t.column3
      FROM (VALUES ${ops.map(() => "(?, ?, ?)").join(", ")}) AS t
      WHERE replay_claims.key = t.column1 AND replay_claims.expires_at > t.column2
        AND replay_claims.state IN (${from.map((s) => `'${s}'`).join(", ")})`,
    params: ops.flatMap((op) => [op.key, op.now, op.expiresAt])
  }
}

/**
 * One key claimed twice in the same batch: the first claim is the one the database judges, the
 * later ones see its result (an accepted claim makes them `duplicate_in_flight`).
 */
export const laterClaimOutcome = (first: ClaimOutcome): ClaimOutcome =>
  first === "claimed" || first === "retry_claimed" ? "duplicate_in_flight" : first

/** First occurrence of each key, in order (a statement may not touch one row twice). */
export const uniqueByKey = <A extends { readonly key: string }>(ops: ReadonlyArray<A>): ReadonlyArray<A> => {
  const seen = new Set<string>()
  return ops.filter((op) => (seen.has(op.key) ? false : (seen.add(op.key), true)))
}

/**
 * Splits transitions into segments in which every key appears once, keeping arrival order: inside
 * a segment each kind is one statement, and segments are written in order, so two transitions of
 * one key in the same batch apply in the order they were asked for.
 */
export const transitionSegments = (ops: ReadonlyArray<TransitionOp>): ReadonlyArray<ReadonlyArray<TransitionOp>> => {
  const segments: Array<Array<TransitionOp>> = []
  let current: Array<TransitionOp> = []
  let keys = new Set<string>()
  for (const op of ops) {
    if (keys.has(op.key)) {
      segments.push(current)
      current = []
      keys = new Set()
    }
    current.push(op)
    keys.add(op.key)
  }
  if (current.length > 0) segments.push(current)
  return segments
}
