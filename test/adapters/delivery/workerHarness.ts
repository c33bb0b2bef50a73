import { Context, Effect, Exit, Layer, Scope } from "effect"
import { DeliveryWorkerLive, type DeliveryWorkerOptions, type DeliveryWorkerRequirements } from "../../../src/adapters/delivery/DeliveryWorker.js"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { DeliveryQueue } from "../../../src/ports/DeliveryQueue.js"
import type { JobLedger } from "../../../src/ports/JobLedger.js"
import type { StoreError } from "../../../src/ports/StoreError.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { makeComfy, makeMedia, makePlatform, makeRegistry } from "../../domain/delivery/fakes.js"

export const workerOptions: DeliveryWorkerOptions = { maxImages: 4, maxBytes: 1000, timeoutSec: 600, sweepIntervalMillis: 3_600_000 }

/**
 * The worker's ports as doubles, built once for a test, so several worker instances (a "crash"
 * and a restart) can run one after the other on the same ledger.
 */
export const makeWorld = (
  options: Parameters<typeof makePlatform>[0] & { readonly ledger?: Layer.Layer<JobLedger, StoreError> } = {}
) => {
  const platform = makePlatform(options)
  const registry = makeRegistry()
  registry.register(platform.delivery)
  const comfy = makeComfy()
  const media = makeMedia()
  const backend = makeBackendStub()
  backend.set("view", () => new Uint8Array(10))
  const ports = Layer.mergeAll(options.ledger ?? JobLedgerMemory, registry.layer, comfy.layer, media.layer, backend.layer)
  return { platform, registry, comfy, media, backend, ports }
}

export interface RunningWorker {
  readonly queue: Context.Tag.Service<DeliveryQueue>
  /** Stops the worker as a shutdown (or a crash) would: followers are interrupted mid-way. */
  readonly stop: Effect.Effect<void>
}

/** Starts a worker instance on already built ports. */
export const startWorker = (ports: Context.Context<DeliveryWorkerRequirements>, options: Partial<DeliveryWorkerOptions> = {}) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const built = yield* Layer.buildWithScope(DeliveryWorkerLive({ ...workerOptions, ...options }), scope).pipe(
      Effect.provide(ports)
    )
    return { queue: Context.get(built, DeliveryQueue), stop: Scope.close(scope, Exit.void) } satisfies RunningWorker
  })
