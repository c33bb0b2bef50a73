import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/**
 * A recording fake of the WhatsApp Cloud (Graph) API on 127.0.0.1. Every request is recorded;
 * each is answered 200 with a `messages` id unless the test queued another answer.
 */
export interface GraphCall {
  readonly method: string
  /** Path without the query string, as sent. */
  readonly path: string
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** The body parsed as JSON; `undefined` when it is not JSON. */
  readonly body: any
  readonly rawBody: string
}

export interface GraphAnswer {
  readonly status: number
  readonly json?: unknown
}

export interface FakeGraphApi {
  /** Base URL without a trailing slash: use it as OPENCLAW_CONNECTOR_WHATSAPP_API_ROOT. */
  readonly url: string
  readonly calls: ReadonlyArray<GraphCall>
  /** Message bodies sent to one recipient, in order. */
  messagesTo(to: string): ReadonlyArray<any>
  /** Text bodies sent to one recipient, in order. */
  textsTo(to: string): ReadonlyArray<string>
  /** The next request(s) get these answers, in order, before falling back to 200. */
  answerNext(...answers: ReadonlyArray<GraphAnswer>): void
  reset(): void
  close(): Promise<void>
}

const okAnswer = (n: number): GraphAnswer => ({
  status: 200,
  json: { messaging_product: "whatsapp", contacts: [], messages: [{ id: `wamid.sent-${n}` }] }
})

const headersOf = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v
  }
  return out
}

export const startFakeGraphApi = async (options: { readonly answer?: (call: GraphCall) => GraphAnswer } = {}): Promise<FakeGraphApi> => {
  const calls: Array<GraphCall> = []
  const queued: Array<GraphAnswer> = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8")
      let body: unknown = undefined
      try {
        body = rawBody === "" ? undefined : JSON.parse(rawBody)
      } catch {
        body = undefined
      }
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const call: GraphCall = { method: req.method ?? "GET", path: url.pathname, headers: headersOf(req), body, rawBody }
      calls.push(call)
      const answer = queued.shift() ?? options.answer?.(call) ?? okAnswer(calls.length)
      res.writeHead(answer.status, { "content-type": "application/json" })
      res.end(JSON.stringify(answer.json ?? {}))
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  const messagesTo = (to: string) => calls.map((c) => c.body).filter((b) => b?.to === to)
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    messagesTo,
    textsTo: (to) => messagesTo(to).filter((b) => b.type === "text").map((b) => b.text.body as string),
    answerNext: (...answers) => void queued.push(...answers),
    reset: () => {
      calls.length = 0
      queued.length = 0
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy()
        server.close((error) => (error ? reject(error) : resolve()))
      })
  }
}

/** Polls `condition` every 10 ms until it holds (returns its value) or `timeoutMs` passes (throws). */
export const waitUntil = async <A>(condition: () => A | undefined | false, timeoutMs = 5_000, what = "condition"): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = condition()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
