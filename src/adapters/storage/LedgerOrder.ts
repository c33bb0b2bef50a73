import { Effect } from "effect"
import { LEDGER_STATES, type LedgerState } from "../../ports/JobLedger.js"
import { StoreError } from "../../ports/StoreError.js"

/** Entries in these states are still followed by the delivery worker; the others are terminal. */
export const OPEN_LEDGER_STATES: ReadonlyArray<LedgerState> = ["awaiting_approval", "submitted"]

export const isOpen = (state: LedgerState): boolean => OPEN_LEDGER_STATES.includes(state)

export const ledgerRank = (state: LedgerState): number => LEDGER_STATES.indexOf(state)

/** The states an entry may leave to reach `state` (every state strictly before it). */
export const statesBefore = (state: LedgerState): ReadonlyArray<LedgerState> => LEDGER_STATES.slice(0, ledgerRank(state))

/** A ledger id must be non-blank. */
export const checkLedgerId = (id: string, operation: string): Effect.Effect<void, StoreError> =>
  id.trim() === "" ? Effect.fail(new StoreError({ reason: "invalid-key", operation })) : Effect.void
