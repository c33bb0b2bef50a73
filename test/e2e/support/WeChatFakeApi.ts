import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/**
 * A fake of WeChat's API on 127.0.0.1: `GET /cgi-bin/token` and
 * `POST /cgi-bin/message/custom/send`. Every call is recorded with its raw body; each test may
 * change what either endpoint answers. By default the token endpoint mints `token-<n>` valid for
 * 7200 s and custom send answers `{errcode: 0}`.
 */
export interface ApiCall {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly rawBody: string
  readonly body: unknown
}

export type ApiAnswer = { readonly status: number; readonly json: unknown }
export type ApiHandler = (call: ApiCall, index: number) => ApiAnswer | Promise<ApiAnswer>

export interface FakeWeChatApi {
  /** Base URL without a trailing slash. */
  readonly url: string
  readonly calls: ReadonlyArray<ApiCall>
  readonly tokenCalls: () => ReadonlyArray<ApiCall>
  readonly sendCalls: () => ReadonlyArray<ApiCall>
  /** Replace the token endpoint's answer (`index` counts token calls from 0). */
  readonly onToken: (handler: ApiHandler) => void
  /** Replace the custom-send endpoint's answer (`index` counts send calls from 0). */
  readonly onSend: (handler: ApiHandler) => void
  /** Polls (every 10 ms, bounded) until `predicate` holds; rejects with `what` on timeout. */
  readonly waitUntil: (predicate: () => boolean, what: string, timeoutMs?: number) => Promise<void>
  readonly reset: () => void
  readonly close: () => Promise<void>
}

const defaultToken: ApiHandler = (_call, index) => ({ status: 200, json: { access_token: `token-${index + 1}`, expires_in: 7200 } })
const defaultSend: ApiHandler = () => ({ status: 200, json: { errcode: 0, errmsg: "ok" } })

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

export const startFakeWeChatApi = async (): Promise<FakeWeChatApi> => {
  const calls: Array<ApiCall> = []
  let tokenHandler = defaultToken
  let sendHandler = defaultSend
  const sockets = new Set<Socket>()
  const count = (path: string) => calls.filter((c) => c.path === path).length

  const answer = (res: ServerResponse, reply: ApiAnswer) => {
    res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8" })
    res.end(JSON.stringify(reply.json))
  }

  const server = createServer((req, res) => {
    void (async () => {
      const rawBody = await readBody(req)
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      let body: unknown = undefined
      try {
        body = rawBody === "" ? undefined : JSON.parse(rawBody)
      } catch {
        body = rawBody
      }
      const call: ApiCall = { method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), rawBody, body }
      if (call.method === "GET" && call.path === "/cgi-bin/token") {
        const index = count(call.path)
        calls.push(call)
        return answer(res, await tokenHandler(call, index))
      }
      if (call.method === "POST" && call.path === "/cgi-bin/message/custom/send") {
        const index = count(call.path)
        calls.push(call)
        return answer(res, await sendHandler(call, index))
      }
      calls.push(call)
      answer(res, { status: 404, json: { errcode: 404, errmsg: "not found (fake)" } })
    })()
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    tokenCalls: () => calls.filter((c) => c.path === "/cgi-bin/token"),
    sendCalls: () => calls.filter((c) => c.path === "/cgi-bin/message/custom/send"),
    onToken: (handler) => void (tokenHandler = handler),
    onSend: (handler) => void (sendHandler = handler),
    waitUntil: async (predicate, what, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    reset: () => {
      calls.length = 0
      tokenHandler = defaultToken
      sendHandler = defaultSend
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
