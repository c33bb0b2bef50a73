import { Effect, Layer, Option } from "effect"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { followEntry } from "../../../src/domain/delivery/Follow.js"
import type { DeliverySettings } from "../../../src/domain/delivery/Timing.js"
import { JobLedger, type LedgerEntry } from "../../../src/ports/JobLedger.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { makeComfy, makeMedia, makePlatform, makeQueueFake, makeRegistry, settings, view } from "./fakes.js"

/** Fresh doubles for one test: a registered platform, ComfyUI events, media, backend, queue, memory ledger. */
export const harness = (options: Parameters<typeof makePlatform>[0] & { readonly registered?: boolean } = {}) => {
  const platform = makePlatform(options)
  const registry = makeRegistry()
  if (options.registered !== false) registry.register(platform.delivery)
  const comfy = makeComfy()
  const media = makeMedia()
  const backend = makeBackendStub()
  const queue = makeQueueFake()
  // /view answers `bytes:<n>` filenames with n bytes, everything else with 10.
  backend.set("view", (req: unknown) => {
    const name = (req as { filename: string }).filename
    const size = /^bytes(\d+)/.exec(name)
    return new Uint8Array(size ? Number(size[1]) : 10)
  })
  const layer = Layer.mergeAll(JobLedgerMemory, registry.layer, comfy.layer, media.layer, backend.layer, queue.layer)
  return { platform, registry, comfy, media, backend, queue, layer }
}

/** Records `entry` and forks its follower. */
export const startFollowing = (entry: LedgerEntry, over: Partial<DeliverySettings> = {}) =>
  Effect.gen(function*() {
    yield* (yield* JobLedger).record(entry)
    return yield* Effect.fork(followEntry(entry.id, { ...settings, ...over }))
  })

export const stateOf = (id: string) =>
  Effect.map(Effect.flatMap(JobLedger, (l) => l.get(id)), (e) => Option.getOrThrow(e).state)

export const entryOf = (id: string) => Effect.map(Effect.flatMap(JobLedger, (l) => l.get(id)), Option.getOrThrow)

export const receiptsOf = (id: string) =>
  Effect.map(Effect.flatMap(JobLedger, (l) => l.receipts(id)), (rs) => rs.map((r) => [r.itemIndex, r.rung, r.outcome] as const))

export const succeeded = (...files: ReadonlyArray<string>) => ({ _tag: "Succeeded", images: files.map(view) }) as const
