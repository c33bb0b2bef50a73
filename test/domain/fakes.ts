// In-memory fakes local to the domain tests (the real memory adapters are someone else's).
import { Effect, Layer, Option } from "effect"
import { handleCommand } from "../../src/domain/command/Router.js"
import type { CommandRequest } from "../../src/domain/model/Request.js"
import type { CoreSettings } from "../../src/domain/model/Settings.js"
import type { Backend } from "../../src/ports/Backend.js"
import { JobLedger, type LedgerEntry } from "../../src/ports/JobLedger.js"
import { RateLimiter } from "../../src/ports/RateLimiter.js"
import type { Settings } from "../../src/ports/Settings.js"
import { StoreError } from "../../src/ports/StoreError.js"
import { type BackendStub, makeBackendStub } from "../support/BackendStub.js"
import { settingsLayer } from "../support/Builders.js"

export interface LedgerFake {
  readonly layer: Layer.Layer<JobLedger>
  readonly entries: Array<LedgerEntry>
}

/** Records entries in an array; `failing` makes every write fail with a StoreError. */
export const makeLedgerFake = (failing = false): LedgerFake => {
  const entries: Array<LedgerEntry> = []
  const fail = (operation: string) => Effect.fail(new StoreError({ reason: "unavailable", operation }))
  return {
    entries,
    layer: Layer.succeed(JobLedger, JobLedger.of({
    countAttempt: () => Effect.succeed(0),
    setStatusRef: () => Effect.void,
    recordReceipt: () => Effect.void,
    receipts: () => Effect.succeed([]),
      record: (entry) =>
        failing ? fail("record") : Effect.sync(() => {
          if (!entries.some((e) => e.id === entry.id)) entries.push(entry)
        }),
      get: (id) => Effect.sync(() => Option.fromNullable(entries.find((e) => e.id === id))),
      advance: () => Effect.succeed(false),
      unfinished: Effect.sync(() => entries)
    }))
  }
}

/** A limiter that admits everything and records the keys it was asked about. */
export const makeOpenLimiter = () => {
  const keys: Array<readonly [string, string]> = []
  return {
    keys,
    layer: Layer.succeed(RateLimiter, RateLimiter.of({
      take: (sender, channel) => Effect.sync(() => (keys.push([sender, channel]), true))
    }))
  }
}

export interface Harness {
  readonly backend: BackendStub
  readonly ledger: LedgerFake
  readonly limiterKeys: Array<readonly [string, string]>
  readonly layer: Layer.Layer<Backend | JobLedger | RateLimiter | Settings>
  /** Runs the pipeline on one request (the event key is `ev-1`). */
  readonly handle: (request: CommandRequest) => Effect.Effect<string>
}

/** Backend stub + ledger fake + open limiter + settings, fresh for one test. */
export const harness = (
  settings: Partial<CoreSettings> = {},
  options: { readonly ledgerFails?: boolean } = {}
): Harness => {
  const backend = makeBackendStub()
  const ledger = makeLedgerFake(options.ledgerFails ?? false)
  const limiter = makeOpenLimiter()
  const layer = Layer.mergeAll(backend.layer, ledger.layer, limiter.layer, settingsLayer(settings))
  return {
    backend,
    ledger,
    limiterKeys: limiter.keys,
    layer,
    handle: (request) =>
      handleCommand(request, { eventKey: "ev-1" }).pipe(Effect.map((r) => r.text), Effect.provide(layer))
  }
}
