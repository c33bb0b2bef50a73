import { Effect } from "effect"
import { makeReplayStoreMemory } from "../../src/adapters/storage/memory/ReplayStoreMemory.js"
import { type ClaimOutcome, ReplayStore } from "../../src/ports/ReplayStore.js"
import { StoreError } from "../../src/ports/StoreError.js"

/** What a recording replay store was asked, in order. */
export interface StoreProbe {
  readonly claims: Array<{ readonly key: string; readonly ttlMillis: number; readonly outcome: ClaimOutcome }>
  readonly commits: Array<string>
  readonly releases: Array<string>
}

export interface RecordingStoreOptions {
  /** Claim number `n` (1-based) fails with a StoreError (store down) when this says so. */
  readonly failClaim?: (n: number) => boolean
  /** Every commit dies (a defect after the command ran). */
  readonly dieOnCommit?: boolean
}

/** The real memory ReplayStore, recording every call; optionally failing claims or commits. */
export const makeRecordingReplayStore = (options: RecordingStoreOptions = {}) =>
  Effect.map(makeReplayStoreMemory, ({ store }) => {
    const probe: StoreProbe = { claims: [], commits: [], releases: [] }
    let claimNumber = 0
    const service = ReplayStore.of({
      claim: (key, ttlMillis) =>
        Effect.suspend(() => {
          claimNumber += 1
          if (options.failClaim?.(claimNumber) === true) {
            return Effect.fail(new StoreError({ reason: "unavailable", operation: "claim" }))
          }
          return Effect.tap(store.claim(key, ttlMillis), (outcome) => void probe.claims.push({ key, ttlMillis, outcome }))
        }),
      commit: (key, ttlMillis) =>
        options.dieOnCommit === true
          ? Effect.die("store bug (test)")
          : Effect.tap(store.commit(key, ttlMillis), () => void probe.commits.push(key)),
      release: (key, ttlMillis) => Effect.tap(store.release(key, ttlMillis), () => void probe.releases.push(key)),
      fail: store.fail
    })
    return { service, probe }
  })
