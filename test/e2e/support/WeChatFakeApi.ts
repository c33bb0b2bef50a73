import { createServer, type ServerResponse } from "node:http"
import { closeServer, listenLocal, readBody } from "../../support/LocalHttp.js"

/**
 * A fake of WeChat's API on 127.0.0.1: `GET /cgi-bin/token`, `POST /cgi-bin/message/custom/send`,
 * `POST /cgi-bin/media/upload` (multipart; the `media` part is parsed into `upload`) and
 * `POST /cgi-bin/message/custom/typing`. Every call is recorded with its raw body; each test may
 * change what the endpoints answer. By default the token endpoint mints `token-<n>` valid for
 * 7200 s, custom send and typing answer `{errcode: 0}`, and upload answers
 * `{type: "image", media_id: "media-<n>"}`.
 */
export interface ApiCall {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly rawBody: string
  readonly body: unknown
  /** The `media` part of a multipart upload. */
  readonly upload?: { readonly filename: string; readonly contentType: string; readonly bytes: Buffer }
}

export const UPLOAD_PATH = "/cgi-bin/media/upload"
export const TYPING_PATH = "/cgi-bin/message/custom/typing"

export type ApiAnswer = { readonly status: number; readonly json: unknown }
export type ApiHandler = (call: ApiCall, index: number) => ApiAnswer | Promise<ApiAnswer>

export interface FakeWeChatApi {
  /** Base URL without a trailing slash. */
  readonly url: string
  readonly calls: ReadonlyArray<ApiCall>
  readonly tokenCalls: () => ReadonlyArray<ApiCall>
  readonly sendCalls: () => ReadonlyArray<ApiCall>
  readonly uploadCalls: () => ReadonlyArray<ApiCall>
  /** Replace the token endpoint's answer (`index` counts token calls from 0). */
  readonly onToken: (handler: ApiHandler) => void
  /** Replace the custom-send endpoint's answer (`index` counts send calls from 0). */
  readonly onSend: (handler: ApiHandler) => void
  /** Replace the media upload endpoint's answer (`index` counts upload calls from 0). */
  readonly onUpload: (handler: ApiHandler) => void
  /** Polls (every 10 ms, bounded) until `predicate` holds; rejects with `what` on timeout. */
  readonly waitUntil: (predicate: () => boolean, what: string, timeoutMs?: number) => Promise<void>
  readonly reset: () => void
  readonly close: () => Promise<void>
}

const defaultToken: ApiHandler = (_call, index) => ({ status: 200, json: { access_token: `token-${index + 1}`, expires_in: 7200 } })
const defaultSend: ApiHandler = () => ({ status: 200, json: { errcode: 0, errmsg: "ok" } })
const defaultUpload: ApiHandler = (_call, index) => ({
  status: 200,
  json: { type: "image", media_id: `media-${index + 1}`, created_at: 1_700_000_000 }
})

/** The `media` part of a multipart/form-data body (enough of RFC 7578 for one file part). */
const mediaPart = (contentType: string | undefined, raw: Buffer): ApiCall["upload"] => {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType ?? "")?.[1]
  if (boundary === undefined) return undefined
  const delimiter = Buffer.from(`--${boundary}`)
  let at = raw.indexOf(delimiter)
  while (at >= 0) {
    const start = at + delimiter.length + 2 // CRLF after the delimiter
    const next = raw.indexOf(delimiter, start)
    if (next < 0) return undefined
    const part = raw.subarray(start, next - 2) // CRLF before the next delimiter
    const split = part.indexOf("\r\n\r\n")
    const head = part.subarray(0, split).toString("utf8")
    if (/name="media"/.test(head)) {
      return {
        filename: /filename="([^"]*)"/.exec(head)?.[1] ?? "",
        contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? "",
        bytes: Buffer.from(part.subarray(split + 4))
      }
    }
    at = next
  }
  return undefined
}

export const startFakeWeChatApi = async (): Promise<FakeWeChatApi> => {
  const calls: Array<ApiCall> = []
  let tokenHandler = defaultToken
  let sendHandler = defaultSend
  let uploadHandler = defaultUpload
  const count = (path: string) => calls.filter((c) => c.path === path).length

  const answer = (res: ServerResponse, reply: ApiAnswer) => {
    res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8" })
    res.end(JSON.stringify(reply.json))
  }

  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req)
      const rawBody = raw.toString("utf8")
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      let body: unknown = undefined
      try {
        body = rawBody === "" ? undefined : JSON.parse(rawBody)
      } catch {
        body = rawBody
      }
      const upload = url.pathname === UPLOAD_PATH ? mediaPart(req.headers["content-type"], raw) : undefined
      const call: ApiCall = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        rawBody,
        body,
        ...(upload === undefined ? {} : { upload })
      }
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
      if (call.method === "POST" && call.path === UPLOAD_PATH) {
        const index = count(call.path)
        calls.push(call)
        return answer(res, await uploadHandler(call, index))
      }
      if (call.method === "POST" && call.path === TYPING_PATH) {
        calls.push(call)
        return answer(res, { status: 200, json: { errcode: 0, errmsg: "ok" } })
      }
      calls.push(call)
      answer(res, { status: 404, json: { errcode: 404, errmsg: "not found (fake)" } })
    })()
  })
  const port = await listenLocal(server)

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    tokenCalls: () => calls.filter((c) => c.path === "/cgi-bin/token"),
    sendCalls: () => calls.filter((c) => c.path === "/cgi-bin/message/custom/send"),
    uploadCalls: () => calls.filter((c) => c.path === UPLOAD_PATH),
    onToken: (handler) => void (tokenHandler = handler),
    onSend: (handler) => void (sendHandler = handler),
    onUpload: (handler) => void (uploadHandler = handler),
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
      uploadHandler = defaultUpload
    },
    close: () => closeServer(server)
  }
}
