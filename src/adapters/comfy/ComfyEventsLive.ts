import { Deferred, Effect, Layer, Option, PubSub, Redacted, Ref } from "effect"
import { randomUUID } from "node:crypto"
import { Backend } from "../../ports/Backend.js"
import { ComfyEvents } from "../../ports/ComfyEvents.js"
import type { HubMessage } from "./ComfyMessages.js"
import { runSocket, socketUrl } from "./ComfySocket.js"
import { makeFollow } from "./Followers.js"
import { DEFAULT_QUEUE_POSITIONS_TIMING, makeQueuePositions } from "./QueuePositions.js"

export interface ComfyEventsOptions {
  /** The backend URL (OPENCLAW_CONNECTOR_URL); `http`/`https` become `ws`/`wss`, `/ws` is appended. */
  readonly baseUrl: string
  /** Sent as `X-OpenClaw-Admin-Token` on the websocket handshake when present and non-empty (as BackendHttp). */
  readonly adminToken: Option.Option<Redacted.Redacted<string>>
  /** ComfyUI client id of this process; a random UUID by default. */
  readonly clientId?: string
  /** Waits after each missed `/history` check while the socket is down (default 1, 2, 4, 8, 15 s; the last repeats). */
  readonly pollScheduleMillis?: ReadonlyArray<number>
  /** Safety `/history` poll period while the socket is up (default 30 s). */
  readonly upPollMillis?: number
  /** Reconnect backoff: first wait and cap (default 1 s doubling to 30 s, ±20 % jitter). */
  readonly reconnectBaseMillis?: number
  readonly reconnectMaxMillis?: number
  /** Largest websocket frame accepted (default 4 MiB); larger ones drop the connection, which reconnects. */
  readonly maxMessageBytes?: number
  /** Ping period for detecting a dead socket (default 30 s; 0 disables). */
  readonly heartbeatMillis?: number
  /** Least time between two `/openclaw/jobs` calls for queue positions, shared by all followers (default 1 s). */
  readonly jobsIntervalMillis?: number
  /** Wait before asking `/openclaw/jobs` again after 401/403/404/405/501 (default 60 s). */
  readonly jobsUnsupportedMillis?: number
}

export const REFERENCE_POLL_SCHEDULE_MILLIS: ReadonlyArray<number> = [1_000, 2_000, 4_000, 8_000, 15_000]

const USER_AGENT = "OpenClaw-Connector/0.1.0"

const make = (options: ComfyEventsOptions) =>
  Effect.gen(function*() {
    const backend = yield* Backend
    // Made before the shutdown finalizer below, so it closes after the followers ended.
    const positions = yield* makeQueuePositions(backend.jobs, {
      intervalMillis: options.jobsIntervalMillis ?? DEFAULT_QUEUE_POSITIONS_TIMING.intervalMillis,
      unsupportedMillis: options.jobsUnsupportedMillis ?? DEFAULT_QUEUE_POSITIONS_TIMING.unsupportedMillis
    })
    const hub = yield* Effect.acquireRelease(PubSub.sliding<HubMessage>(4_096), PubSub.shutdown)
    const linkUp = yield* Ref.make(false)
    const shutdown = yield* Deferred.make<void>()
    // Runs before the hub shuts down (finalizers run in reverse): followers end quietly first.
    yield* Effect.addFinalizer(() => Deferred.succeed(shutdown, undefined))

    const token = Option.filter(options.adminToken, (t) => Redacted.value(t) !== "")
    const clientId = options.clientId ?? randomUUID()
    const url = socketUrl(options.baseUrl, clientId)
    if (Option.isNone(url)) {
      yield* Effect.logError("ComfyUI event socket disabled: the backend URL is not http(s); following prompts by polling /history")
    } else {
      yield* Effect.forkScoped(runSocket({
        url: url.value,
        headers: Option.match(token, {
          onNone: () => ({ "User-Agent": USER_AGENT }),
          onSome: (t) => ({ "User-Agent": USER_AGENT, "X-OpenClaw-Admin-Token": Redacted.value(t) })
        }),
        maxMessageBytes: options.maxMessageBytes ?? 4 * 1024 * 1024,
        reconnectBaseMillis: options.reconnectBaseMillis ?? 1_000,
        reconnectMaxMillis: options.reconnectMaxMillis ?? 30_000,
        stableMillis: 10_000,
        heartbeatMillis: options.heartbeatMillis ?? 30_000,
        handshakeTimeoutMillis: 10_000,
        secrets: Option.match(token, { onNone: () => [], onSome: (t) => [Redacted.value(t)] })
      }, hub, linkUp))
    }

    return ComfyEvents.of({
      follow: makeFollow({
        backend,
        hub,
        linkUp,
        shutdown,
        positions,
        timing: {
          pollScheduleMillis: options.pollScheduleMillis ?? REFERENCE_POLL_SCHEDULE_MILLIS,
          upPollMillis: options.upPollMillis ?? 30_000
        }
      })
    })
  }).pipe(Effect.annotateLogs({ adapter: "comfy-events" }))

/**
 * The `ComfyEvents` port over ComfyUI's websocket, with `/history` polling as the fallback
 * (Followers.ts). Scoped: closing the layer closes the socket and ends every follower.
 */
export const ComfyEventsLive = (options: ComfyEventsOptions): Layer.Layer<ComfyEvents, never, Backend> =>
  Layer.scoped(ComfyEvents, make(options))
