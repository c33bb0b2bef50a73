import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import {
  type ItemReceipt,
  JobLedger,
  LEDGER_STATES,
  type LedgerEntry,
  type LedgerState,
  OPEN_LEDGER_STATES,
  TERMINAL_LEDGER_STATES
} from "../../src/ports/JobLedger.js"
import type { StoreError } from "../../src/ports/StoreError.js"

export const ledgerEntry = (over: Partial<LedgerEntry> = {}): LedgerEntry => ({
  id: "job:p-1",
  kind: "job",
  ref: "p-1",
  inboundEventKey: "telegram:1:42",
  target: { platform: "telegram", channelId: "c1", senderId: "u1", workspaceId: "", threadId: "7" },
  templateId: "sdxl_basic",
  state: "submitted",
  attempts: 0,
  createdAtMillis: 1000,
  updatedAtMillis: 1000,
  ...over
})

export const itemReceipt = (over: Partial<ItemReceipt> = {}): ItemReceipt => ({
  entryId: "job:p-1",
  itemIndex: 0,
  rung: "image",
  outcome: "sent",
  platformRef: "m-1",
  atMillis: 2000,
  ...over
})

/** The JobLedger contract. `layer` must build a fresh, empty ledger each time it is provided. */
export const jobLedgerContract = (name: string, layer: Layer.Layer<JobLedger, StoreError>) => {
  const run = <A, E>(effect: Effect.Effect<A, E, JobLedger>) => Effect.provide(effect, layer)

  describe(`JobLedger contract: ${name}`, () => {
    it.effect("records an entry and reads it back unchanged", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        const entry = ledgerEntry({ kind: "approval", id: "approval:apr_0123456789ab", ref: "apr_0123456789ab", state: "awaiting_approval", attempts: 2 })
        yield* ledger.record(entry)
        expect(yield* ledger.get(entry.id)).toEqual(Option.some(entry))
        expect(yield* ledger.get("job:missing")).toEqual(Option.none())
      })))

    it.effect("recording the same id again keeps the first record", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(ledgerEntry({ templateId: "first" }))
        yield* ledger.record(ledgerEntry({ templateId: "second", state: "delivered" }))
        const got = yield* ledger.get("job:p-1")
        expect(Option.map(got, (e) => [e.templateId, e.state])).toEqual(Option.some(["first", "submitted"]))
      })))

    it.effect("refuses a blank id", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        const error = yield* Effect.flip(ledger.record(ledgerEntry({ id: " " })))
        expect(error).toMatchObject({ _tag: "StoreError", reason: "invalid-key" })
      })))

    for (const [i, from] of LEDGER_STATES.entries()) {
      for (const [j, to] of LEDGER_STATES.entries()) {
        // Only an open entry moves, and only forward; a terminal one never moves again.
        const forward = j > i && OPEN_LEDGER_STATES.includes(from)
        it.effect(`advance ${from} -> ${to} ${forward ? "moves" : "is ignored"}`, () =>
          run(Effect.gen(function*() {
            const ledger = yield* JobLedger
            yield* ledger.record(ledgerEntry({ state: from }))
            expect(yield* ledger.advance("job:p-1", to, 5000)).toBe(forward)
            const got = Option.getOrThrow(yield* ledger.get("job:p-1"))
            expect(got.state).toBe(forward ? to : from)
            expect(got.updatedAtMillis).toBe(forward ? 5000 : 1000)
          })))
      }
    }

    it.effect("advance of an unknown id returns false", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        expect(yield* ledger.advance("job:nope", "delivered", 1)).toBe(false)
      })))

    it.effect("an entry only ever moves forward through a sequence of advances", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(ledgerEntry({ state: "awaiting_approval" }))
        const moves: ReadonlyArray<LedgerState> = ["submitted", "awaiting_approval", "failed", "delivered", "expired", "submitted"]
        const results = yield* Effect.forEach(moves, (s, i) => ledger.advance("job:p-1", s, 2000 + i))
        expect(results).toEqual([true, false, true, false, false, false])
        expect(Option.map(yield* ledger.get("job:p-1"), (e) => e.state)).toEqual(Option.some("failed"))
      })))

    it.effect("a terminal entry never moves: delivered does not become failed, nor failed expired", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        expect(TERMINAL_LEDGER_STATES).toEqual(LEDGER_STATES.filter((s) => !OPEN_LEDGER_STATES.includes(s)))
        yield* ledger.record(ledgerEntry({ id: "job:d" }))
        yield* ledger.record(ledgerEntry({ id: "job:f", state: "awaiting_approval" }))
        expect(yield* ledger.advance("job:d", "delivered", 2000)).toBe(true)
        expect(yield* ledger.advance("job:d", "failed", 2001)).toBe(false)
        expect(yield* ledger.advance("job:d", "expired", 2002)).toBe(false)
        expect(yield* ledger.advance("job:f", "failed", 2000)).toBe(true)
        expect(yield* ledger.advance("job:f", "expired", 2001)).toBe(false)
        const states = yield* Effect.forEach(["job:d", "job:f"], (id) => ledger.get(id))
        expect(states.map(Option.map((e) => [e.state, e.updatedAtMillis]))).toEqual([
          Option.some(["delivered", 2000]),
          Option.some(["failed", 2000])
        ])
      })))

    it.effect("of concurrent advances to the same state exactly one succeeds", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(ledgerEntry())
        const results = yield* Effect.all(Array.from({ length: 10 }, () => ledger.advance("job:p-1", "delivered", 3000)), {
          concurrency: "unbounded"
        })
        expect(results.filter(Boolean)).toHaveLength(1)
      })))

    it.effect("unfinished lists open entries only, oldest first", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(ledgerEntry({ id: "job:c", createdAtMillis: 30 }))
        yield* ledger.record(ledgerEntry({ id: "job:a", createdAtMillis: 10, state: "awaiting_approval" }))
        yield* ledger.record(ledgerEntry({ id: "job:done", createdAtMillis: 5, state: "delivered" }))
        yield* ledger.record(ledgerEntry({ id: "job:b1", createdAtMillis: 20 }))
        yield* ledger.record(ledgerEntry({ id: "job:b2", createdAtMillis: 20 }))
        yield* ledger.record(ledgerEntry({ id: "job:later-failed", createdAtMillis: 1 }))
        yield* ledger.advance("job:later-failed", "failed", 40)
        expect((yield* ledger.unfinished).map((e) => e.id)).toEqual(["job:a", "job:b1", "job:b2", "job:c"])
      })))

    it.effect("counts attempts and keeps the status message ref", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(ledgerEntry({ attempts: 2 }))
        expect(yield* ledger.countAttempt("job:p-1", 3000)).toBe(3)
        expect(yield* ledger.countAttempt("job:p-1", 3100)).toBe(4)
        expect(yield* ledger.countAttempt("job:unknown", 3100)).toBe(0)
        yield* ledger.setStatusRef("job:p-1", "msg-1", 3200)
        yield* ledger.setStatusRef("job:p-1", "msg-2", 3300)
        yield* ledger.setStatusRef("job:unknown", "msg-3", 3300)
        const got = Option.getOrThrow(yield* ledger.get("job:p-1"))
        expect(got).toMatchObject({ attempts: 4, statusRef: "msg-2", updatedAtMillis: 3300, state: "submitted" })
        expect((yield* ledger.unfinished)[0]).toMatchObject({ statusRef: "msg-2", attempts: 4 })
        expect(yield* ledger.get("job:unknown")).toEqual(Option.none())
      })))

    it.effect("an entry recorded with a status ref reads it back; one without has none", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        const withRef = ledgerEntry({ id: "job:r", statusRef: "m-9" })
        yield* ledger.record(withRef)
        yield* ledger.record(ledgerEntry())
        expect(yield* ledger.get("job:r")).toEqual(Option.some(withRef))
        expect(Object.keys(Option.getOrThrow(yield* ledger.get("job:p-1")))).not.toContain("statusRef")
      })))

    it.effect("receipts are an append-only log per entry, in write order", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(ledgerEntry())
        yield* ledger.record(ledgerEntry({ id: "job:other" }))
        const written = [
          itemReceipt({ outcome: "attempt", platformRef: "" }),
          itemReceipt({ outcome: "refused", platformRef: "", atMillis: 2001 }),
          itemReceipt({ rung: "document", outcome: "attempt", platformRef: "", atMillis: 2002 }),
          itemReceipt({ rung: "document", outcome: "sent", platformRef: "doc-1", atMillis: 2003 }),
          itemReceipt({ itemIndex: 1, rung: "text", outcome: "possibly-delivered", platformRef: "", atMillis: 2004 }),
          itemReceipt({ itemIndex: -1, rung: "text", outcome: "failed", platformRef: "", atMillis: 2005 })
        ]
        yield* Effect.forEach(written, ledger.recordReceipt, { discard: true })
        yield* ledger.recordReceipt(itemReceipt({ entryId: "job:other", platformRef: "x" }))
        expect(yield* ledger.receipts("job:p-1")).toEqual(written)
        expect(yield* ledger.receipts("job:other")).toEqual([itemReceipt({ entryId: "job:other", platformRef: "x" })])
        expect(yield* ledger.receipts("job:none")).toEqual([])
      })))

    it.effect("a receipt for an unknown entry is refused as invalid-key", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        const error = yield* Effect.flip(ledger.recordReceipt(itemReceipt({ entryId: "job:ghost" })))
        expect(error).toMatchObject({ _tag: "StoreError", reason: "invalid-key" })
        expect(yield* ledger.receipts("job:ghost")).toEqual([])
      })))

    it.effect("receipts and attempts stay readable after the entry is terminal", () =>
      run(Effect.gen(function*() {
        const ledger = yield* JobLedger
        yield* ledger.record(ledgerEntry())
        yield* ledger.recordReceipt(itemReceipt())
        yield* ledger.advance("job:p-1", "delivered", 4000)
        yield* ledger.recordReceipt(itemReceipt({ itemIndex: 1, atMillis: 4001 }))
        expect((yield* ledger.receipts("job:p-1")).map((r) => r.itemIndex)).toEqual([0, 1])
        expect(yield* ledger.unfinished).toEqual([])
      })))
  })
}
