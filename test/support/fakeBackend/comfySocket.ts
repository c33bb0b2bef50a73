import type { IncomingMessage } from "node:http"
import type { Duplex } from "node:stream"
import { WebSocket, WebSocketServer } from "ws"

/** One ComfyUI websocket frame: `{type, data}` as ComfyUI sends it. */
export interface ComfyWsEvent {
  readonly type: string
  readonly data: unknown
}

/** A websocket handshake the fake accepted (or refused). */
export interface SocketConnection {
  /** The `clientId` query parameter ("" when missing). */
  readonly clientId: string
  /** Handshake headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  readonly accepted: boolean
}

const headersOf = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v
  }
  return out
}

/**
 * ComfyUI's `/ws` (also `/api/ws`) on the fake's HTTP server. Tests drive it: `emit` sends a frame
 * to every open socket (or one client id), `closeAll` drops them, and `refuse` answers later
 * handshakes with 503 so the adapter's polling fallback can be tested.
 */
export class FakeComfySocket {
  private readonly wss = new WebSocketServer({ noServer: true })
  private readonly open = new Map<WebSocket, string>()
  readonly connections: Array<SocketConnection> = []

  /** `queueRemaining` is what the greeting `status` frame reports. */
  constructor(public refuse: boolean, private readonly queueRemaining: () => number) {}

  /** The HTTP server's `upgrade` listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that gives up mid-handshake resets the connection: not an error of the fake.
    socket.on("error", () => {})
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const known = url.pathname === "/ws" || url.pathname === "/api/ws"
    const clientId = url.searchParams.get("clientId") ?? ""
    if (!known || this.refuse) {
      if (known) this.connections.push({ clientId, headers: headersOf(req), accepted: false })
      socket.end(known ? "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n" : "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.connections.push({ clientId, headers: headersOf(req), accepted: true })
      this.open.set(ws, clientId)
      ws.on("close", () => this.open.delete(ws))
      ws.on("error", () => this.open.delete(ws))
      // ComfyUI greets every new socket with the queue status and its session id.
      this.sendTo(ws, { type: "status", data: { status: { exec_info: { queue_remaining: this.queueRemaining() } }, sid: clientId } })
    })
  }

  get openCount(): number {
    return this.open.size
  }

  private sendTo(ws: WebSocket, payload: string | Uint8Array | ComfyWsEvent): void {
    if (ws.readyState !== WebSocket.OPEN) return
    ws.send(typeof payload === "string" || payload instanceof Uint8Array ? payload : JSON.stringify(payload))
  }

  private targets(clientId: string | undefined): ReadonlyArray<WebSocket> {
    return [...this.open].filter(([, id]) => clientId === undefined || id === clientId).map(([ws]) => ws)
  }

  /** A JSON frame to every open socket, or only to sockets of `clientId`. */
  emit(event: ComfyWsEvent, clientId?: string): void {
    for (const ws of this.targets(clientId)) this.sendTo(ws, event)
  }

  /** A raw text frame (for malformed-input tests). */
  emitText(text: string): void {
    for (const ws of this.targets(undefined)) this.sendTo(ws, text)
  }

  /** A binary frame, as ComfyUI sends previews (4-byte event type, 4-byte format, image bytes). */
  emitBinary(bytes: Uint8Array): void {
    for (const ws of this.targets(undefined)) this.sendTo(ws, bytes)
  }

  /** Drop every open socket without a close handshake (what a crashed ComfyUI looks like). */
  closeAll(): void {
    for (const ws of this.open.keys()) ws.terminate()
    this.open.clear()
  }

  close(): void {
    this.closeAll()
    this.wss.close()
  }
}
