import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { comfyRoutes } from "./fakeBackend/comfyRoutes.js"
import { ComfyRun, type RunOptions } from "./fakeBackend/comfyRun.js"
import { FakeComfySocket, type ComfyWsEvent, type SocketConnection } from "./fakeBackend/comfySocket.js"
import { adminDenial, openclawRoutes, type Route } from "./fakeBackend/openclawRoutes.js"
import { FakeState, type ImageRef, type Outputs, type PromptEnd, type PromptFailure } from "./fakeBackend/state.js"
import {
  methodNotAllowed,
  notFound,
  type FakeBackendOptions,
  type FakeJob,
  type FakeReply,
  type RecordedCall,
  type RouteHandler
} from "./fakeBackend/types.js"
import { readBody } from "./LocalHttp.js"

export type { FakeBackendOptions, FakeJob, FakeReply, RecordedCall, RouteHandler } from "./fakeBackend/types.js"
export { json as reply, methodNotAllowed, notFound } from "./fakeBackend/types.js"
export type { Outputs, ImageRef, PromptEnd, PromptFailure } from "./fakeBackend/state.js"
export type { ComfyWsEvent, SocketConnection } from "./fakeBackend/comfySocket.js"
export type { RunNode, RunOptions } from "./fakeBackend/comfyRun.js"

/**
 * A fake OpenClaw + ComfyUI server on 127.0.0.1 (spec backend-and-delivery §3, §7, §8): one base
 * URL serves both route families (also under `/api`), admin routes check the configured token,
 * unknown routes answer aiohttp's plain `404: Not Found`. Every request is recorded.
 */
export interface FakeBackend {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string
  readonly calls: ReadonlyArray<RecordedCall>
  /** Calls with this method and exact path (query excluded). */
  callsTo(method: string, path: string): ReadonlyArray<RecordedCall>
  /** Answer `method` + path (exact string, or a regex tested on the path) with `handler`; newest override wins. */
  override(method: string, path: string | RegExp, handler: RouteHandler): void
  /** The simulated backend behind the routes (prompts, approvals, files, traces, schedules). */
  readonly state: FakeState
  /** Simulate an operator approving in the OpenClaw UI; returns the executed prompt id. */
  approveInUi(approvalId: string, promptId?: string): string
  /**
   * End a prompt so that /history returns its entry; output images become servable by /view.
   * `error` / `interrupted` entries have `status_str: "error"` and the matching message.
   */
  completePrompt(promptId: string, outputs: Outputs, status?: PromptEnd, failure?: PromptFailure): void
  addFile(ref: ImageRef, bytes: Uint8Array): void
  /**
   * Serve exactly `jobs` from `/openclaw/jobs` (newest first, as given), or `undefined` to derive
   * them from the prompts again (the default). `state.jobsMode` still answers 501/503 first.
   */
  setJobs(jobs: ReadonlyArray<FakeJob> | undefined): void
  /** ComfyUI's websocket (`/ws`, `/api/ws`): a JSON frame to every open socket, or to one client id. */
  emit(event: ComfyWsEvent, clientId?: string): void
  /** A raw text frame to every open socket. */
  emitText(text: string): void
  /** A binary (preview) frame to every open socket. */
  emitBinary(bytes: Uint8Array): void
  /** Drop every open websocket without a close handshake. */
  closeSockets(): void
  /** Answer later websocket handshakes with 503 (`true`) or accept them again (`false`). */
  refuseSockets(refuse: boolean): void
  /** Websockets open right now. */
  readonly openSockets: number
  /** Every websocket handshake so far, accepted or refused, with its client id and headers. */
  readonly socketConnections: ReadonlyArray<SocketConnection>
  /**
   * Play a realistic successful ComfyUI run of `promptId` on every open socket (see ComfyRun.run):
   * frames, then the history entry (images servable by /view). Returns the history outputs.
   */
  runPrompt(promptId: string, options?: RunOptions): Outputs
  /** Play a failing run: frames up to `execution_error`, then a history entry with the error. */
  failPrompt(promptId: string, failure?: PromptFailure): void
  /**
   * Forget calls, overrides and websocket handshakes, drop open websockets, and start from a fresh
   * backend state with the same options.
   */
  reset(): void
  close(): Promise<void>
}

interface Override {
  readonly method: string
  readonly path: string | RegExp
  readonly handler: RouteHandler
}

const parseBody = (text: string): unknown => {
  if (text === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const headersOf = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v
  }
  return out
}

const send = (res: ServerResponse, reply: FakeReply): void => {
  if ("hang" in reply) return
  if ("destroy" in reply) {
    res.socket?.destroy()
    return
  }
  const headers: Record<string, string> = { ...reply.headers }
  let body: Uint8Array | string = ""
  if (reply.bytes !== undefined) {
    body = reply.bytes
    headers["content-type"] ??= "application/octet-stream"
  } else if (reply.json !== undefined) {
    body = JSON.stringify(reply.json)
    headers["content-type"] ??= "application/json; charset=utf-8"
  } else if (reply.text !== undefined) {
    body = reply.text
    headers["content-type"] ??= "text/plain; charset=utf-8"
  }
  res.writeHead(reply.status, headers)
  res.end(body)
}

export const startFakeBackend = async (options: FakeBackendOptions = {}): Promise<FakeBackend> => {
  let state = new FakeState(options)
  let routes: ReadonlyArray<Route> = []
  const buildRoutes = () => {
    routes = [
      ...openclawRoutes(state),
      ...comfyRoutes(state, (call) => adminDenial(state, call) === undefined)
    ]
  }
  buildRoutes()
  const calls: Array<RecordedCall> = []
  let overrides: Array<Override> = []
  const sockets = new Set<Socket>()
  const comfySocket = new FakeComfySocket(options.websocket === "refuse", () => state.queueRemaining())
  const comfyRun = new ComfyRun(() => state, comfySocket)

  const dispatch = async (call: RecordedCall): Promise<FakeReply> => {
    for (const o of [...overrides].reverse()) {
      const matches = typeof o.path === "string" ? o.path === call.path : o.path.test(call.path)
      if (o.method.toUpperCase() === call.method && matches) return o.handler(call, [])
    }
    // ComfyUI and OpenClaw mirror their routes under /api.
    const path = call.path.startsWith("/api/") ? call.path.slice(4) : call.path
    let pathKnown = false
    for (const route of routes) {
      const m = route.pattern.exec(path)
      if (m === null) continue
      pathKnown = true
      if (route.method === call.method) return route.handle(call, m.slice(1))
    }
    return pathKnown ? methodNotAllowed : notFound
  }

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req)
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const rawBody = raw.toString("utf8")
      const call: RecordedCall = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: headersOf(req),
        body: parseBody(rawBody),
        rawBody
      }
      calls.push(call)
      try {
        send(res, await dispatch(call))
      } catch (error) {
        send(res, { status: 500, text: `500: Internal Server Error (fake: ${String(error)})` })
      }
    })()
  })
  server.on("upgrade", (req, socket, head) => comfySocket.handleUpgrade(req, socket, head))
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (method, path) => calls.filter((c) => c.method === method.toUpperCase() && c.path === path),
    override: (method, path, handler) => {
      overrides.push({ method, path, handler })
    },
    get state() {
      return state
    },
    approveInUi: (approvalId, promptId) => state.approveInUi(approvalId, promptId),
    completePrompt: (promptId, outputs, status, failure) => state.completePrompt(promptId, outputs, status, failure),
    addFile: (ref, bytes) => state.addFile(ref, bytes),
    setJobs: (jobs) => {
      state.jobsOverride = jobs
    },
    emit: (event, clientId) => comfySocket.emit(event, clientId),
    emitText: (text) => comfySocket.emitText(text),
    emitBinary: (bytes) => comfySocket.emitBinary(bytes),
    closeSockets: () => comfySocket.closeAll(),
    refuseSockets: (refuse) => {
      comfySocket.refuse = refuse
    },
    get openSockets() {
      return comfySocket.openCount
    },
    socketConnections: comfySocket.connections,
    runPrompt: (promptId, runOptions) => comfyRun.run(promptId, runOptions),
    failPrompt: (promptId, failure) => comfyRun.fail(promptId, failure),
    reset: () => {
      calls.length = 0
      comfySocket.closeAll()
      comfySocket.connections.length = 0
      comfySocket.refuse = options.websocket === "refuse"
      overrides = []
      state = new FakeState(options)
      buildRoutes()
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        comfySocket.close()
        for (const socket of sockets) socket.destroy()
        server.close((error) => (error ? reject(error) : resolve()))
      })
  }
}
