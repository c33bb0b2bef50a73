import { Deferred, Effect, Layer, Option } from "effect"
import { defaultCoreSettings } from "../../../src/domain/model/Settings.js"
import { Backend, BackendError } from "../../../src/ports/Backend.js"
import { JobLedger, type LedgerEntry } from "../../../src/ports/JobLedger.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { type ClaimOutcome, ReplayStore } from "../../../src/ports/ReplayStore.js"
import { Settings } from "../../../src/ports/Settings.js"
import { StoreError } from "../../../src/ports/StoreError.js"

/** What the fake replay store saw; an accepted claim is the only way a command gets to run. */
export interface ReplayProbe {
  readonly claims: Array<{ readonly key: string; readonly ttlMillis: number; readonly outcome: ClaimOutcome }>
  readonly commits: Array<string>
  readonly releases: Array<string>
}

export interface FakeStoreOptions {
  /** Every claim fails with StoreError (store down). */
  readonly failClaims?: boolean
  /** Every claim dies (a bug in the store). */
  readonly dieOnClaim?: boolean
  /** Commit waits for this: keeps the pipeline "still running" until the test opens it. */
  readonly commitGate?: Deferred.Deferred<void>
  /** Completed when a commit starts waiting on the gate. */
  readonly commitStarted?: Deferred.Deferred<void>
}

type State = "claimed" | "retryable" | "delivered" | "failed"

/** An in-memory ReplayStore following the port's state machine (TTL recorded, not enforced). */
export const fakeReplayStore = (options: FakeStoreOptions = {}) => {
  const probe: ReplayProbe = { claims: [], commits: [], releases: [] }
  const states = new Map<string, State>()
  const layer = Layer.succeed(ReplayStore, ReplayStore.of({
    claim: (key, ttlMillis) =>
      Effect.suspend(() => {
        if (options.dieOnClaim) return Effect.die("store bug")
        if (options.failClaims) return Effect.fail(new StoreError({ reason: "unavailable", operation: "claim" }))
        const state = states.get(key)
        const outcome: ClaimOutcome = state === undefined
          ? "claimed"
          : state === "retryable"
          ? "retry_claimed"
          : state === "claimed"
          ? "duplicate_in_flight"
          : state === "delivered"
          ? "duplicate_after_success"
          : "duplicate_after_terminal_failure"
        if (outcome === "claimed" || outcome === "retry_claimed") states.set(key, "claimed")
        probe.claims.push({ key, ttlMillis, outcome })
        return Effect.succeed(outcome)
      }),
    commit: (key) =>
      Effect.gen(function*() {
        if (options.commitStarted) yield* Deferred.succeed(options.commitStarted, undefined)
        if (options.commitGate) yield* Deferred.await(options.commitGate)
        states.set(key, "delivered")
        probe.commits.push(key)
      }),
    release: (key) => Effect.sync(() => {
      states.set(key, "retryable")
      probe.releases.push(key)
    }),
    fail: (key) => Effect.sync(() => void states.set(key, "failed"))
  }))
  return { layer, probe }
}

const ledgerLayer = Layer.sync(JobLedger, () => {
  const entries = new Map<string, LedgerEntry>()
  return JobLedger.of({
    countAttempt: () => Effect.succeed(0),
    setStatusRef: () => Effect.void,
    recordReceipt: () => Effect.void,
    receipts: () => Effect.succeed([]),
    record: (entry) => Effect.sync(() => void (entries.has(entry.id) || entries.set(entry.id, entry))),
    get: (id) => Effect.sync(() => Option.fromNullable(entries.get(id))),
    advance: () => Effect.succeed(false),
    unfinished: Effect.sync(() => [...entries.values()])
  })
})

/** A backend that is down: every call fails as `unreachable` (the core turns that into a reply). */
const offline = Effect.fail(new BackendError({ reason: "unreachable", message: "backend offline (test)" }))
const backendOffline = Layer.succeed(Backend, Backend.of({
  health: offline,
  config: offline,
  templates: offline,
  chatLlm: () => offline,
  promptQueue: offline,
  history: () => offline,
  trace: () => offline,
  jobs: offline,
  submitJob: () => offline,
  cancelJob: () => offline,
  cancelJobs: () => offline,
  interrupt: () => offline,
  view: () => offline,
  pendingApprovals: offline,
  approval: () => offline,
  approve: () => offline,
  reject: () => offline,
  schedules: offline,
  runSchedule: () => offline
}))

/** Everything the Kakao route needs besides the replay store: generous limits, an offline backend. */
export const otherPorts = Layer.mergeAll(
  Layer.succeed(Settings, defaultCoreSettings),
  Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) })),
  backendOffline,
  ledgerLayer
)
