import { Clock, Duration, Effect, Option, PubSub, Queue, Random, Ref } from "effect"
import WebSocket from "ws"
import { decodeText, type HubMessage } from "./ComfyMessages.js"

/**
 * The one ComfyUI websocket of the process (`<base>/ws?clientId=<id>`): it decodes text frames,
 * publishes them to the followers' hub and reconnects with a capped, jittered backoff when the
 * socket drops or never comes up. Followers read `linkUp` and get a `Link` message on every
 * up/down change, so they poll `/history` on the reference schedule while it is down.
 *
 * Logging: one line when the socket comes up and one when it goes (or first fails to come) down,
 * never one per retry. Log lines carry neither the URL nor any header: the admin token travels in
 * a header only, and any error text is scrubbed of it.
 */

export interface SocketSettings {
  /** `ws://` / `wss://` URL including `?clientId=`; never logged. */
  readonly url: string
  /** Extra handshake headers (User-Agent, admin token). */
  readonly headers: Readonly<Record<string, string>>
  /** Largest frame accepted; a larger one closes the socket (ws `maxPayload`), which then reconnects. */
  readonly maxMessageBytes: number
  readonly reconnectBaseMillis: number
  readonly reconnectMaxMillis: number
  /** A connection that stayed up this long resets the backoff. */
  readonly stableMillis: number
  /** Ping period; a socket that misses a pong for a whole period is dropped. 0 disables. */
  readonly heartbeatMillis: number
  readonly handshakeTimeoutMillis: number
  /** Secret strings removed from any error text before it is logged. */
  readonly secrets: ReadonlyArray<string>
}

type SocketEvent =
  | { readonly _tag: "Open" }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Failed"; readonly detail: string }
  | { readonly _tag: "Closed"; readonly code: number }

/** `http(s)://host[:port][/prefix]` → `ws(s)://host[:port][/prefix]/ws?clientId=<id>`; none for other schemes. */
export const socketUrl = (baseUrl: string, clientId: string): Option.Option<string> => {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return Option.none()
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return Option.none()
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/ws`
  url.search = ""
  url.hash = ""
  url.searchParams.set("clientId", clientId)
  return Option.some(url.toString())
}

/** `base * 2^(failures-1)`, capped, spread by ±20 % (`jitter` in [0, 1)). */
export const reconnectDelayMillis = (failures: number, baseMillis: number, maxMillis: number, jitter: number): number =>
  Math.round(Math.min(baseMillis * 2 ** Math.max(0, failures - 1), maxMillis) * (0.8 + 0.4 * jitter))

const scrub = (text: string, secrets: ReadonlyArray<string>): string => {
  const clean = secrets.reduce((acc, s) => (s === "" ? acc : acc.split(s).join("[redacted]")), text)
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean
}

const textOf = (data: WebSocket.RawData): string => {
  if (Buffer.isBuffer(data)) return data.toString("utf8")
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString("utf8")
}

/** Opens the socket and forwards its life to `events`; the caller terminates it. */
const open = (settings: SocketSettings, events: Queue.Queue<SocketEvent>): WebSocket => {
  const ws = new WebSocket(settings.url, {
    headers: { ...settings.headers },
    maxPayload: settings.maxMessageBytes,
    handshakeTimeout: settings.handshakeTimeoutMillis,
    perMessageDeflate: false
  })
  let alive = true
  let heartbeat: ReturnType<typeof setInterval> | undefined
  ws.on("open", () => {
    events.unsafeOffer({ _tag: "Open" })
    if (settings.heartbeatMillis <= 0) return
    heartbeat = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return
      if (!alive) return ws.terminate()
      alive = false
      ws.ping()
    }, settings.heartbeatMillis)
    heartbeat.unref()
  })
  ws.on("pong", () => {
    alive = true
  })
  ws.on("message", (data, isBinary) => {
    alive = true
    // Binary frames are previews (and ComfyUI's other binary events): not followed.
    if (!isBinary) events.unsafeOffer({ _tag: "Text", text: textOf(data) })
  })
  ws.on("error", (error) => {
    events.unsafeOffer({ _tag: "Failed", detail: error.message })
  })
  ws.on("close", (code) => {
    if (heartbeat !== undefined) clearInterval(heartbeat)
    events.unsafeOffer({ _tag: "Closed", code })
  })
  return ws
}

type LinkState = "starting" | "up" | "down"

/** Runs forever (interrupt it to stop): connect, forward frames, reconnect. */
export const runSocket = (
  settings: SocketSettings,
  hub: PubSub.PubSub<HubMessage>,
  linkUp: Ref.Ref<boolean>
): Effect.Effect<never> =>
  Effect.gen(function*() {
    const state = yield* Ref.make<LinkState>("starting")

    const goUp = Effect.gen(function*() {
      yield* Ref.set(state, "up")
      yield* Ref.set(linkUp, true)
      yield* Effect.logInfo("ComfyUI event socket connected")
      yield* PubSub.publish(hub, { _tag: "Link", up: true })
    })

    const goDown = (detail: string) =>
      Effect.gen(function*() {
        const before = yield* Ref.getAndSet(state, "down")
        if (before === "down") return
        yield* Ref.set(linkUp, false)
        const why = detail === "" ? "" : ` (${scrub(detail, settings.secrets)})`
        yield* before === "up"
          ? Effect.logWarning(`ComfyUI event socket lost${why}; following prompts by polling /history until it reconnects`)
          : Effect.logWarning(`ComfyUI event socket unavailable${why}; following prompts by polling /history, retrying in the background`)
        if (before === "up") yield* PubSub.publish(hub, { _tag: "Link", up: false })
      })

    /** One connection: whether it came up, how long it stayed up, and why it ended. */
    const session = Effect.scoped(Effect.gen(function*() {
      const events = yield* Queue.unbounded<SocketEvent>()
      yield* Effect.acquireRelease(Effect.sync(() => open(settings, events)), (ws) => Effect.sync(() => ws.terminate()))
      let openedAt: number | undefined
      let detail = ""
      let lastRemaining: number | undefined
      for (;;) {
        const event = yield* Queue.take(events)
        switch (event._tag) {
          case "Open":
            openedAt = yield* Clock.currentTimeMillis
            yield* goUp
            break
          case "Failed":
            if (detail === "") detail = event.detail
            break
          case "Closed": {
            const upFor = openedAt === undefined ? undefined : (yield* Clock.currentTimeMillis) - openedAt
            return { upFor, detail: detail === "" ? `closed ${event.code}` : detail }
          }
          case "Text": {
            const message = decodeText(event.text, settings.maxMessageBytes)
            if (Option.isNone(message)) break
            const m = message.value
            if (m._tag === "Status" && m.queueRemaining !== undefined) {
              if (lastRemaining !== undefined && m.queueRemaining < lastRemaining) {
                yield* PubSub.publish(hub, { _tag: "QueueShrank" })
              }
              lastRemaining = m.queueRemaining
            }
            yield* PubSub.publish(hub, m)
          }
        }
      }
    }))

    let failures = 0
    for (;;) {
      const ended = yield* session
      failures = ended.upFor !== undefined && ended.upFor >= settings.stableMillis ? 1 : failures + 1
      yield* goDown(ended.detail)
      const delay = reconnectDelayMillis(failures, settings.reconnectBaseMillis, settings.reconnectMaxMillis, yield* Random.next)
      yield* Effect.sleep(Duration.millis(delay))
    }
  })
