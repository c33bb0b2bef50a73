import { Effect, Layer, Option } from "effect"
import { isOpenLedgerState, type ItemReceipt, JobLedger, type LedgerEntry } from "../../../ports/JobLedger.js"
import { StoreError } from "../../../ports/StoreError.js"
import { canAdvance, checkLedgerId } from "../LedgerOrder.js"

/** JobLedger in process memory (tests and single-run setups; nothing survives a restart). */
export const JobLedgerMemory: Layer.Layer<JobLedger> = Layer.sync(JobLedger, () => {
  // Map iteration follows insertion order, which breaks ties between equal creation times.
  const entries = new Map<string, LedgerEntry>()
  const receipts = new Map<string, Array<ItemReceipt>>()
  const update = (id: string, change: (entry: LedgerEntry) => LedgerEntry) => {
    const entry = entries.get(id)
    if (entry !== undefined) entries.set(id, change(entry))
    return entries.get(id)
  }
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
        if (entry === undefined || !canAdvance(entry.state, state)) return false
        entries.set(id, { ...entry, state, updatedAtMillis: atMillis })
        return true
      }),
    unfinished: Effect.sync(() =>
      [...entries.values()]
        .filter((e) => isOpenLedgerState(e.state))
        .sort((a, b) => a.createdAtMillis - b.createdAtMillis)
    ),
    countAttempt: (id, atMillis) =>
      Effect.sync(() => update(id, (e) => ({ ...e, attempts: e.attempts + 1, updatedAtMillis: atMillis }))?.attempts ?? 0),
    setStatusRef: (id, platformRef, atMillis) =>
      Effect.sync(() => void update(id, (e) => ({ ...e, statusRef: platformRef, updatedAtMillis: atMillis }))),
    recordReceipt: (receipt) =>
      Effect.suspend(() => {
        if (!entries.has(receipt.entryId)) {
          return Effect.fail(new StoreError({ reason: "invalid-key", operation: "recordReceipt" }))
        }
        const list = receipts.get(receipt.entryId) ?? []
        list.push({ ...receipt })
        receipts.set(receipt.entryId, list)
        return Effect.void
      }),
    receipts: (id) => Effect.sync(() => [...(receipts.get(id) ?? [])])
  })
})
