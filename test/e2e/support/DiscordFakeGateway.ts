import type { IncomingMessage, Server } from "node:http"
import { type WebSocket, WebSocketServer } from "ws"
import { guildPayload, type FakeGuild, type FakeUser, userPayload } from "./DiscordFakePayloads.js"

/**
 * The gateway half of the fake Discord (API v10, JSON, no compression), served with `ws` on the
 * REST fake's HTTP server under `/gateway`:
 * HELLO (op 10) on connect; IDENTIFY (op 2) with the right token -> READY (guilds listed as
 * unavailable) followed by a GUILD_CREATE per guild; a wrong token closes with 4004; heartbeats
 * (op 1) are ACKed (op 11); RESUME (op 6) of the current session replays every dispatch after
 * the client's sequence, then RESUMED. Tests add dispatches (MESSAGE_CREATE, INTERACTION_CREATE...).
 */

export interface GatewayOptions {
  readonly token: string
  readonly bot: FakeUser
  readonly applicationId: string
  readonly guilds: ReadonlyArray<FakeGuild>
  readonly heartbeatIntervalMillis: number
  /** Close every IDENTIFY with this code (4014: disallowed intents) instead of READY. */
  readonly closeOnIdentify?: number
}

interface Dispatch {
  readonly s: number
  readonly t: string
  readonly d: unknown
}

export interface FakeGateway {
  readonly url: string
  /** The request URL (path and query) of every connection, in order. */
  readonly connectUrls: ReadonlyArray<string>
  /** Every IDENTIFY payload's `d`, in order. */
  readonly identifies: ReadonlyArray<any>
  /** Every RESUME payload's `d`, in order. */
  readonly resumes: ReadonlyArray<any>
  /** Binary (compressed) frames received; the connector must send none. */
  readonly binaryFrames: () => number
  readonly heartbeats: () => number
  /** Whether a session is READY (or RESUMED) on an open socket. */
  readonly ready: () => boolean
  /** Sends a dispatch to the live session (kept for RESUME replays). */
  readonly dispatch: (t: string, d: unknown) => void
  /**
   * Closes the live socket with `code` (4000: the client resumes). With `replay`, the next RESUME
   * also re-sends the last `replay` message/interaction dispatches the client already had, as an
   * at-least-once transport may.
   */
  readonly drop: (code: number, options?: { readonly replay?: number }) => void
  /** Forgets the session: the next RESUME is answered with INVALID_SESSION. */
  readonly forgetSession: () => void
  /** Fires after every gateway event (for condition waits). */
  readonly onChange: (listener: () => void) => () => void
  readonly close: () => Promise<void>
}

export const startFakeGateway = (server: Server, baseUrl: string, options: GatewayOptions): FakeGateway => {
  const wss = new WebSocketServer({ server, path: "/gateway" })
  const url = `${baseUrl.replace(/^http/, "ws")}/gateway`
  const connectUrls: Array<string> = []
  const identifies: Array<any> = []
  const resumes: Array<any> = []
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const l of [...listeners]) l()
  }
  let binaryFrames = 0
  let heartbeats = 0
  let sessionId = ""
  let seq = 0
  let log: Array<Dispatch> = []
  let live: WebSocket | undefined
  let liveReady = false
  let extraReplay = 0

  const send = (socket: WebSocket, payload: unknown) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload))
  }
  const sendDispatch = (socket: WebSocket, d: Dispatch) => send(socket, { op: 0, s: d.s, t: d.t, d: d.d })
  const record = (t: string, d: unknown): Dispatch => {
    const entry = { s: ++seq, t, d }
    log.push(entry)
    return entry
  }

  const identify = (socket: WebSocket, d: any) => {
    identifies.push(d)
    if (d?.token !== options.token) {
      socket.close(4004, "Authentication failed.")
      return
    }
    if (options.closeOnIdentify !== undefined) {
      socket.close(options.closeOnIdentify, "Closed by the fake on identify.")
      return
    }
    sessionId = `session-${identifies.length}`
    seq = 0
    log = []
    live = socket
    sendDispatch(socket, record("READY", {
      v: 10,
      user: { ...userPayload(options.bot), bot: true, verified: true, flags: 0, mfa_enabled: false },
      session_id: sessionId,
      resume_gateway_url: url,
      application: { id: options.applicationId, flags: 0 },
      guilds: options.guilds.map((g) => ({ id: g.id, unavailable: true })),
      shard: [0, 1]
    }))
    for (const guild of options.guilds) sendDispatch(socket, record("GUILD_CREATE", guildPayload(guild, options.bot.id)))
    liveReady = true
  }

  const resume = (socket: WebSocket, d: any) => {
    resumes.push(d)
    if (d?.token !== options.token || d?.session_id !== sessionId || sessionId === "") {
      send(socket, { op: 9, d: false })
      return
    }
    live = socket
    const missed = log.filter((e) => e.s > Number(d.seq))
    const had = log.filter((e) => e.s <= Number(d.seq) && (e.t === "MESSAGE_CREATE" || e.t === "INTERACTION_CREATE"))
    const again = extraReplay > 0 ? had.slice(-extraReplay) : []
    extraReplay = 0
    for (const entry of [...again, ...missed]) sendDispatch(socket, entry)
    sendDispatch(socket, record("RESUMED", {}))
    liveReady = true
  }

  wss.on("connection", (socket: WebSocket, req: IncomingMessage) => {
    connectUrls.push(req.url ?? "")
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        binaryFrames += 1
        return changed()
      }
      let frame: any
      try {
        frame = JSON.parse(data.toString())
      } catch {
        socket.close(4002, "Error while decoding payload.")
        return
      }
      if (frame.op === 1) {
        heartbeats += 1
        send(socket, { op: 11 })
      } else if (frame.op === 2) identify(socket, frame.d)
      else if (frame.op === 6) resume(socket, frame.d)
      changed()
    })
    socket.on("close", () => {
      if (socket === live) {
        live = undefined
        liveReady = false
      }
      changed()
    })
    send(socket, { op: 10, d: { heartbeat_interval: options.heartbeatIntervalMillis } })
    changed()
  })

  return {
    url,
    connectUrls,
    identifies,
    resumes,
    binaryFrames: () => binaryFrames,
    heartbeats: () => heartbeats,
    ready: () => liveReady && live !== undefined && live.readyState === live.OPEN,
    dispatch: (t, d) => {
      const entry = record(t, d)
      if (live !== undefined && liveReady) sendDispatch(live, entry)
    },
    drop: (code, dropOptions) => {
      extraReplay = dropOptions?.replay ?? 0
      live?.close(code, "fake gateway drop")
    },
    forgetSession: () => {
      sessionId = ""
    },
    onChange: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      })
  }
}
