import { Effect } from "effect"
import { isOpenLedgerState, LEDGER_STATES, type LedgerState, OPEN_LEDGER_STATES } from "../../ports/JobLedger.js"
import { StoreError } from "../../ports/StoreError.js"

export const ledgerRank = (state: LedgerState): number => LEDGER_STATES.indexOf(state)

/**
 * The states an entry may leave to reach `state`: the open states strictly before it. A terminal
 * entry never moves, whatever the target.
 */
export const statesMovableTo = (state: LedgerState): ReadonlyArray<LedgerState> =>
  OPEN_LEDGER_STATES.filter((from) => ledgerRank(from) < ledgerRank(state))

/** Whether an entry in `from` may move to `to` (the rule `statesMovableTo` states). */
export const canAdvance = (from: LedgerState, to: LedgerState): boolean =>
  isOpenLedgerState(from) && ledgerRank(from) < ledgerRank(to)

/** A ledger id must be non-blank. */
export const checkLedgerId = (id: string, operation: string): Effect.Effect<void, StoreError> =>
  id.trim() === "" ? Effect.fail(new StoreError({ reason: "invalid-key", operation })) : Effect.void
