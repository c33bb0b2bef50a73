import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { callWaiters, closeServer, listenLocal } from "../../support/LocalHttp.js"

/**
 * A recording fake of the Slack Web API on 127.0.0.1 (`<url>/api/<method>`), for in-process and
 * end-to-end tests. It knows workspaces by bot token (`addWorkspace`): `auth.test`,
 * `chat.postMessage`, `chat.update`, `chat.postEphemeral`, `files.getUploadURLExternal` + the
 * upload URL + `files.completeUploadExternal` answer like Slack for a known, unrevoked token and
 * `invalid_auth` otherwise; `oauth.v2.access` answers the grant registered for the code
 * (`grant`). Every call is recorded with the bearer token it carried; `answer` overrides a method.
 */
export interface SlackApiCall {
  /** `chat.postMessage`..., or `upload` for a POST to an upload URL. */
  readonly method: string
  readonly path: string
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** The bearer token sent ("" without one). */
  readonly token: string
  /** JSON body, form fields as an object, or raw text. */
  readonly body: any
  readonly bytes: Buffer
}

export interface SlackAnswer {
  readonly status?: number
  readonly json?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface SlackWorkspace {
  readonly teamId: string
  readonly token: string
  readonly botUserId: string
  readonly teamName?: string
}

export interface SlackApiFake {
  /** `http://127.0.0.1:<port>/api/` (OPENCLAW_CONNECTOR_SLACK_API_ROOT). */
  readonly apiRoot: string
  readonly url: string
  readonly calls: ReadonlyArray<SlackApiCall>
  callsTo(method: string): ReadonlyArray<SlackApiCall>
  addWorkspace(workspace: SlackWorkspace): void
  /** The token stops working (`invalid_auth`). */
  revoke(token: string): void
  /** `oauth.v2.access` with `code` answers `payload`. */
  grant(code: string, payload: unknown): void
  answer(method: string, answer: SlackAnswer | ((call: SlackApiCall) => SlackAnswer | undefined)): void
  /** A standing answer for `method` that `reset` keeps (Socket Mode's `apps.connections.open`, SlackSocketFake.ts). */
  serve(method: string, answer: (call: SlackApiCall) => SlackAnswer | undefined): void
  waitFor(predicate: (calls: ReadonlyArray<SlackApiCall>) => boolean, timeoutMs?: number): Promise<ReadonlyArray<SlackApiCall>>
  /** Forget calls and overrides (workspaces and grants stay). */
  reset(): void
  close(): Promise<void>
}

/** Texts of recorded chat.postMessage / chat.postEphemeral calls (blocks' section text when there is no text). */
export const slackTexts = (calls: ReadonlyArray<SlackApiCall>): Array<string> =>
  calls.filter((c) => c.method === "chat.postMessage" || c.method === "chat.postEphemeral").map((c) => String(c.body?.text ?? ""))

/** The Block Kit buttons of a recorded call. */
export const buttonsOf = (call: SlackApiCall | undefined): Array<any> =>
  (call?.body?.blocks ?? []).filter((b: any) => b.type === "actions").flatMap((b: any) => b.elements)

const parseBody = (contentType: string, raw: Buffer): any => {
  const text = raw.toString("utf8")
  if (contentType.startsWith("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text))
  try {
    return text === "" ? undefined : JSON.parse(text)
  } catch {
    return text
  }
}

export const startSlackApiFake = (): Promise<SlackApiFake> =>
  new Promise((resolve, reject) => {
    const calls: Array<SlackApiCall> = []
    const workspaces = new Map<string, SlackWorkspace>()
    const revoked = new Set<string>()
    const grants = new Map<string, unknown>()
    const answers = new Map<string, SlackAnswer | ((call: SlackApiCall) => SlackAnswer | undefined)>()
    const standing = new Map<string, (call: SlackApiCall) => SlackAnswer | undefined>()
    const waiting = callWaiters("Slack API fake", calls, (c) =>
      c.map((call) => `${call.method}:${JSON.stringify(call.body)?.slice(0, 200)}`).join("\n"))
    let counter = 0
    let base = ""

    const nextTs = () => `17000${String(++counter).padStart(5, "0")}.000${String(counter % 1000).padStart(3, "0")}`

    const standard = (call: SlackApiCall): SlackAnswer => {
      if (call.method === "oauth.v2.access") {
        const payload = grants.get(String(call.body?.code ?? ""))
        return { json: payload ?? { ok: false, error: "invalid_code" } }
      }
      if (call.method === "upload") return { status: 200, json: { ok: true } }
      const ws = workspaces.get(call.token)
      if (ws === undefined || revoked.has(call.token)) return { json: { ok: false, error: "invalid_auth" } }
      switch (call.method) {
        case "auth.test":
          return { json: { ok: true, url: "https://example.slack.com/", team: ws.teamName ?? ws.teamId, team_id: ws.teamId, user_id: ws.botUserId, bot_id: `B${ws.botUserId}` } }
        case "chat.postMessage":
          return { json: { ok: true, channel: call.body?.channel, ts: nextTs(), message: { text: call.body?.text } } }
        case "chat.update":
          return { json: { ok: true, channel: call.body?.channel, ts: call.body?.ts, text: call.body?.text } }
        case "chat.postEphemeral":
          return { json: { ok: true, message_ts: nextTs() } }
        case "files.getUploadURLExternal": {
          const id = `F${String(++counter).padStart(8, "0")}`
          return { json: { ok: true, upload_url: `${base}/upload/${id}?sig=secret-upload-signature`, file_id: id } }
        }
        case "files.completeUploadExternal": {
          const files = JSON.parse(String(call.body?.files ?? "[]")) as Array<{ id: string; title?: string }>
          return { json: { ok: true, files: files.map((f) => ({ id: f.id, title: f.title ?? "" })) } }
        }
        default:
          return { json: { ok: false, error: "unknown_method" } }
      }
    }

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const bytes = Buffer.concat(chunks)
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v
        const path = (req.url ?? "/").split("?")[0]!
        const method = path.startsWith("/api/") ? path.slice(5) : path.startsWith("/upload/") ? "upload" : path
        const auth = headers["authorization"] ?? ""
        const body = method === "upload" ? undefined : parseBody(headers["content-type"] ?? "", bytes)
        const token = auth.startsWith("Bearer ") ? auth.slice(7) : typeof body?.token === "string" ? body.token : ""
        const call: SlackApiCall = { method, path, headers, token, body, bytes }
        calls.push(call)
        const configured = answers.get(method)
        const answer = (typeof configured === "function" ? configured(call) : configured) ?? standing.get(method)?.(call) ?? standard(call)
        res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers }).end(JSON.stringify(answer.json ?? {}))
        waiting.notify()
      })
    }

    const server = createServer(onRequest)
    listenLocal(server).then((port) => {
      base = `http://127.0.0.1:${port}`
      resolve({
        apiRoot: `${base}/api/`,
        url: base,
        calls,
        callsTo: (method) => calls.filter((c) => c.method === method),
        addWorkspace: (ws) => void workspaces.set(ws.token, ws),
        revoke: (token) => void revoked.add(token),
        grant: (code, payload) => void grants.set(code, payload),
        answer: (method, answer) => void answers.set(method, answer),
        serve: (method, answer) => void standing.set(method, answer),
        waitFor: waiting.waitFor,
        reset: () => {
          calls.length = 0
          answers.clear()
        },
        close: () => closeServer(server)
      })
    }, reject)
  })
