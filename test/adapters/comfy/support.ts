import { Chunk, Deferred, Effect, Fiber, Layer, Logger, Option, PubSub, Redacted, Ref, Stream } from "effect"
import { ComfyEventsLive, type ComfyEventsOptions } from "../../../src/adapters/comfy/ComfyEventsLive.js"
import type { HubMessage } from "../../../src/adapters/comfy/ComfyMessages.js"
import { type FollowTiming, makeFollow } from "../../../src/adapters/comfy/Followers.js"
import type { QueuePositions } from "../../../src/adapters/comfy/QueuePositions.js"
import { Backend, type BackendError, type Json } from "../../../src/ports/Backend.js"
import { ComfyEvents, type JobSignal } from "../../../src/ports/ComfyEvents.js"
import { ADMIN_TOKEN, backendLayer } from "../backend/support.js"

export { ADMIN_TOKEN }

/** Log lines written while a test runs (the adapter's only output channel besides the port). */
export const makeLogCapture = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

/** The live adapter against the fake backend, with short timings unless overridden. */
export const comfyLayer = (baseUrl: string, overrides: Partial<ComfyEventsOptions> = {}) =>
  ComfyEventsLive({
    baseUrl,
    adminToken: Option.some(Redacted.make(ADMIN_TOKEN)),
    pollScheduleMillis: [60_000],
    upPollMillis: 60_000,
    reconnectBaseMillis: 20,
    reconnectMaxMillis: 200,
    ...overrides
  }).pipe(Layer.provide(backendLayer(baseUrl)))

/** Waits (real time, bounded) until `condition` holds. */
export const waitFor = (condition: () => boolean, what: string, timeoutMs = 5_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })

/**
 * Starts following `promptId` in the background: `seen` fills as signals arrive, `done` is the
 * whole run (signals or the failure). Resolves once the follower is subscribed and has asked
 * history once (its `Queued` or terminal signal arrived).
 */
export const startFollowing = (promptId: string, deadlineMillis = Date.now() + 60_000) =>
  Effect.gen(function*() {
    const events = yield* ComfyEvents
    const seen: Array<JobSignal> = []
    const first = yield* Deferred.make<void>()
    const fiber = yield* events.follow(promptId, { deadlineMillis }).pipe(
      Stream.tap((signal) => Effect.zipRight(Effect.sync(() => seen.push(signal)), Deferred.succeed(first, undefined))),
      Stream.runCollect,
      Effect.map(Chunk.toArray),
      Effect.either,
      Effect.ensuring(Deferred.succeed(first, undefined)),
      Effect.fork
    )
    yield* Deferred.await(first)
    return { seen, done: Fiber.join(fiber).pipe(Effect.timeout("10 seconds")) }
  })

/** A Backend with only `history` (the one call the follower makes). */
export const historyBackend = (answer: (promptId: string) => Effect.Effect<Json, BackendError>) =>
  Backend.of({ history: answer } as unknown as Backend["Type"])

/** A Backend with `history` and `jobs` (the calls a follower with queue positions makes). */
export const historyAndJobsBackend = (
  history: (promptId: string) => Effect.Effect<Json, BackendError>,
  jobs: Effect.Effect<Json, BackendError>
) => Backend.of({ history, jobs } as unknown as Backend["Type"])

/** `makeFollow` over a hand-fed hub: the follower logic without a socket (and, by default, without positions). */
export const makeHubFollow = (backend: Backend["Type"], timing: FollowTiming, up = false, positions?: QueuePositions) =>
  Effect.gen(function*() {
    const hub = yield* PubSub.unbounded<HubMessage>()
    const linkUp = yield* Ref.make(up)
    const shutdown = yield* Deferred.make<void>()
    const deps = { backend, hub, linkUp, shutdown, timing, ...(positions === undefined ? {} : { positions }) }
    return { hub, linkUp, shutdown, follow: makeFollow(deps) }
  })
