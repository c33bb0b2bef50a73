import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { callWaiters, closeServer, listenLocal } from "../../support/LocalHttp.js"

/**
 * A recording fake of the LINE Messaging API on 127.0.0.1 (reply and push endpoints, or any
 * path): every request is recorded and answered 200 `{}` unless a path's answer is overridden
 * (e.g. 400 on `/v2/bot/message/reply` to simulate an expired reply token).
 * Like LINE, reply and push answers list `sentMessages` (ids `m<n>`), and a push whose
 * `X-Line-Retry-Key` was already accepted (answered 2xx) is answered 409 without sending again.
 */
export interface LineApiCall {
  readonly method: string
  readonly path: string
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON body, or the raw text when it is not JSON. */
  readonly body: any
}

export interface LineApiAnswer {
  readonly status: number
  readonly json?: unknown
}

export interface LineApiFake {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string
  readonly calls: ReadonlyArray<LineApiCall>
  callsTo(path: string): ReadonlyArray<LineApiCall>
  /** Answer requests to `path` with `answer` (a fixed answer or a function of the call). */
  answer(path: string, answer: LineApiAnswer | ((call: LineApiCall) => LineApiAnswer)): void
  /** Resolves with the calls once `predicate` holds for them; rejects after `timeoutMs`. */
  waitFor(predicate: (calls: ReadonlyArray<LineApiCall>) => boolean, timeoutMs?: number): Promise<ReadonlyArray<LineApiCall>>
  /** Forget calls and answers. */
  reset(): void
  close(): Promise<void>
}

export const REPLY_PATH = "/v2/bot/message/reply"
export const PUSH_PATH = "/v2/bot/message/push"
export const LOADING_PATH = "/v2/bot/chat/loading/start"

/** All text messages of the recorded reply/push calls, in order. */
export const textsOf = (calls: ReadonlyArray<LineApiCall>): Array<string> =>
  calls.flatMap((c) => (c.body?.messages ?? []).map((m: { text?: string }) => m.text ?? ""))

export const startLineApiFake = (): Promise<LineApiFake> =>
  new Promise((resolve, reject) => {
    const calls: Array<LineApiCall> = []
    const acceptedKeys = new Set<string>()
    let sentCount = 0
    const answers = new Map<string, LineApiAnswer | ((call: LineApiCall) => LineApiAnswer)>()
    const waiting = callWaiters("LINE API fake", calls, (c) => JSON.stringify(c))

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let body: any = text
        try {
          body = text === "" ? undefined : JSON.parse(text)
        } catch {
          body = text
        }
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v
        const path = (req.url ?? "/").split("?")[0]!
        const call: LineApiCall = { method: req.method ?? "GET", path, headers, body }
        calls.push(call)
        const configured = answers.get(path)
        const retryKey = headers["x-line-retry-key"]
        const messages: ReadonlyArray<unknown> = Array.isArray(body?.messages) ? body.messages : []
        const sent = () => ({ sentMessages: messages.map(() => ({ id: `m${++sentCount}`, quoteToken: `q${sentCount}` })) })
        const answer: LineApiAnswer = retryKey !== undefined && acceptedKeys.has(retryKey)
          ? { status: 409, json: { message: "The retry key is already accepted" } }
          : typeof configured === "function"
          ? configured(call)
          : configured ?? { status: 200, json: messages.length > 0 ? sent() : {} }
        if (retryKey !== undefined && answer.status >= 200 && answer.status < 300) acceptedKeys.add(retryKey)
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.json ?? {}))
        waiting.notify()
      })
    }

    const server = createServer(onRequest)
    listenLocal(server).then((port) =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        calls,
        callsTo: (path) => calls.filter((c) => c.path === path),
        answer: (path, answer) => void answers.set(path, answer),
        waitFor: waiting.waitFor,
        reset: () => {
          calls.length = 0
          answers.clear()
          acceptedKeys.clear()
        },
        close: () => closeServer(server)
      }), reject)
  })
