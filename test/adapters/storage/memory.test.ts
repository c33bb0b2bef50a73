import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { MemoryStorage } from "../../../src/adapters/storage/memory/MemoryStorage.js"
import { makeReplayStoreMemory } from "../../../src/adapters/storage/memory/ReplayStoreMemory.js"
import { JobLedger } from "../../../src/ports/JobLedger.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { StoreProbe } from "../../../src/ports/StoreProbe.js"
import { ledgerEntry } from "../../contracts/jobLedgerContract.js"

describe("MemoryStorage", () => {
  it.effect("provides every storage port, and its probe always succeeds", () =>
    Effect.gen(function*() {
      yield* (yield* StoreProbe).probe
      expect(yield* (yield* ReplayStore).claim("k", 1000)).toBe("claimed")
      yield* (yield* JobLedger).record(ledgerEntry())
      expect((yield* (yield* JobLedger).unfinished).map((e) => e.id)).toEqual(["job:p-1"])
    }).pipe(Effect.provide(MemoryStorage)))

  it.effect("each provision is a fresh, empty store", () =>
    Effect.gen(function*() {
      const claimOnce = Effect.flatMap(ReplayStore, (s) => s.claim("k", 1000)).pipe(Effect.provide(MemoryStorage))
      expect([yield* claimOnce, yield* claimOnce]).toEqual(["claimed", "claimed"])
    }))
})

describe("ReplayStoreMemory purge", () => {
  it.effect("expired records are swept lazily on a later claim; live ones stay", () =>
    Effect.gen(function*() {
      const { store, size } = yield* makeReplayStoreMemory
      yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => `old${i}`), (k) => store.claim(k, 10), { discard: true })
      yield* store.claim("live", 3_600_000)
      expect(yield* size).toBe(101)
      yield* TestClock.adjust(60_000)
      yield* store.claim("new", 1000)
      expect(yield* size).toBe(2)
      expect(yield* store.claim("live", 1000)).toBe("duplicate_in_flight")
    }))
})
