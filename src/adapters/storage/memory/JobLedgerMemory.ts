import { Effect, Layer, Option } from "effect"
import { JobLedger, type LedgerEntry } from "../../../ports/JobLedger.js"
import { checkLedgerId, isOpen, ledgerRank } from "../LedgerOrder.js"

/** JobLedger in process memory (tests and single-run setups; nothing survives a restart). */
export const JobLedgerMemory: Layer.Layer<JobLedger> = Layer.sync(JobLedger, () => {
  // Map iteration follows insertion order, which breaks ties between equal creation times.
  const entries = new Map<string, LedgerEntry>()
  return JobLedger.of({
    record: (entry) =>
      Effect.zipRight(
        checkLedgerId(entry.id, "record"),
        Effect.sync(() => {
          if (!entries.has(entry.id)) entries.set(entry.id, entry)
        })
      ),
    get: (id) => Effect.sync(() => Option.fromNullable(entries.get(id))),
    advance: (id, state, atMillis) =>
      Effect.sync(() => {
        const entry = entries.get(id)
        if (entry === undefined || ledgerRank(state) <= ledgerRank(entry.state)) return false
        entries.set(id, { ...entry, state, updatedAtMillis: atMillis })
        return true
      }),
    unfinished: Effect.sync(() =>
      [...entries.values()]
        .filter((e) => isOpen(e.state))
        .sort((a, b) => a.createdAtMillis - b.createdAtMillis)
    )
  })
})
