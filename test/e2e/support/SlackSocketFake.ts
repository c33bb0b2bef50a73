import { randomBytes } from "node:crypto"
import type { AddressInfo } from "node:net"
import { type WebSocket, WebSocketServer } from "ws"
import type { SlackApiFake } from "./SlackApiFake.js"

/**
 * A fake of Slack's Socket Mode on 127.0.0.1, for in-process and end-to-end tests:
 * - `attach(api, appToken)` makes the fake Web API answer `apps.connections.open` (with that
 *   bearer app token) with `ws://127.0.0.1:<port>/link/?ticket=<single-use>`; any other token, or
 *   every token after `refuse()`, gets `invalid_auth`;
 * - the WebSocket server accepts a connection only with an issued ticket, sends `hello`, then the
 *   envelopes the test sends (`events_api`, `interactive`...) on the newest connection, each with
 *   an `envelope_id`, and records every acknowledgement (`{"envelope_id"}`) in arrival order;
 * - `disconnect()` sends a `disconnect` envelope (Slack refreshing the connection), `drop()` cuts the
 *   socket without a close handshake.
 */
export interface SocketAck {
  readonly envelopeId: string
  readonly payload: unknown
}

export interface EnvelopeOptions {
  readonly envelopeId?: string
  readonly retryAttempt?: number
  readonly retryReason?: string
}

export interface SlackSocketFake {
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string
  attach(api: SlackApiFake, appToken: string): void
  /** From now on `apps.connections.open` answers `{ok: false, error}` (default `invalid_auth`). */
  refuse(error?: string): void
  /** `apps.connections.open` calls answered with a URL / refused. */
  readonly opens: () => number
  readonly refusals: () => number
  /** Connections that got `hello`, and how many are open now. */
  readonly connections: () => number
  readonly open: () => number
  readonly acks: ReadonlyArray<SocketAck>
  /** Sends an envelope on the newest open connection; its envelope id. */
  send(type: string, payload: unknown, options?: EnvelopeOptions): string
  sendEvent(payload: Record<string, unknown>, options?: EnvelopeOptions): string
  sendInteractive(payload: Record<string, unknown>, options?: EnvelopeOptions): string
  disconnect(reason?: string): void
  drop(): void
  waitFor(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<SocketAck>
  close(): Promise<void>
}

let sequence = 0

export const startSlackSocketFake = (): Promise<SlackSocketFake> =>
  new Promise((resolve, reject) => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 })
    const tickets = new Set<string>()
    const sockets: Array<WebSocket> = []
    const acks: Array<SocketAck> = []
    const waiters = new Set<() => void>()
    let refusal: string | undefined
    let opens = 0
    let refusals = 0
    let connections = 0
    let base = ""

    const notify = () => {
      for (const w of [...waiters]) w()
    }
    const current = (): WebSocket => {
      const socket = [...sockets].reverse().find((s) => s.readyState === s.OPEN)
      if (socket === undefined) throw new Error("Slack socket fake: no open connection")
      return socket
    }

    server.on("connection", (socket, request) => {
      const ticket = new URL(request.url ?? "/", base.replace("ws:", "http:")).searchParams.get("ticket") ?? ""
      if (!tickets.delete(ticket)) return socket.close(4001, "invalid ticket")
      sockets.push(socket)
      connections += 1
      socket.on("message", (data, isBinary) => {
        if (isBinary) return
        try {
          const frame = JSON.parse(data.toString()) as { envelope_id?: unknown; payload?: unknown }
          if (typeof frame.envelope_id === "string") acks.push({ envelopeId: frame.envelope_id, payload: frame.payload })
        } catch {
          // Not JSON: not an acknowledgement.
        }
        notify()
      })
      socket.on("close", notify)
      socket.send(JSON.stringify({
        type: "hello",
        num_connections: 1,
        debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: "A0APP" }
      }))
      notify()
    })
    server.once("error", reject)
    server.once("listening", () => {
      base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
      const send = (type: string, payload: unknown, options: EnvelopeOptions = {}) => {
        const envelopeId = options.envelopeId ?? `env-${Date.now().toString(36)}-${++sequence}`
        current().send(JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: false,
          ...(type === "events_api" ? { retry_attempt: options.retryAttempt ?? 0, retry_reason: options.retryReason ?? "" } : {})
        }))
        return envelopeId
      }
      const waitFor = (condition: () => boolean, what: string, timeoutMs = 10_000) =>
        new Promise<void>((done, fail) => {
          const check = () => {
            if (!condition()) return
            waiters.delete(check)
            clearTimeout(timer)
            done()
          }
          const timer = setTimeout(() => {
            waiters.delete(check)
            fail(new Error(`Slack socket fake: ${what} not seen within ${timeoutMs} ms (acks: ${acks.map((a) => a.envelopeId).join(", ")})`))
          }, timeoutMs)
          waiters.add(check)
          check()
        })
      resolve({
        url: base,
        attach: (api, appToken) =>
          api.serve("apps.connections.open", (call) => {
            setImmediate(notify)
            if (refusal !== undefined || call.token !== appToken) {
              refusals += 1
              return { json: { ok: false, error: refusal ?? "invalid_auth" } }
            }
            const ticket = randomBytes(12).toString("hex")
            tickets.add(ticket)
            opens += 1
            return { json: { ok: true, url: `${base}/link/?ticket=${ticket}&app_id=A0APP` } }
          }),
        refuse: (error = "invalid_auth") => void (refusal = error),
        opens: () => opens,
        refusals: () => refusals,
        connections: () => connections,
        open: () => sockets.filter((s) => s.readyState === s.OPEN).length,
        acks,
        send,
        sendEvent: (payload, options) => send("events_api", payload, options),
        sendInteractive: (payload, options) => send("interactive", payload, options),
        disconnect: (reason = "refresh_requested") =>
          current().send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-fake" } })),
        drop: () => current().terminate(),
        waitFor,
        waitForAck: async (envelopeId, timeoutMs) => {
          await waitFor(() => acks.some((a) => a.envelopeId === envelopeId), `ack of ${envelopeId}`, timeoutMs)
          return acks.find((a) => a.envelopeId === envelopeId)!
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.terminate()
            server.close(() => done())
          })
      })
    })
  })
