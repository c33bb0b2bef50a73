import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { type FakeGateway, startFakeGateway } from "./DiscordFakeGateway.js"
import { type FakeUpload, parseMultipart } from "./DiscordFakeMultipart.js"
import {
  buttonPressPayload,
  type FakeGuild,
  type FakeMessage,
  type FakePress,
  type FakeUser,
  messagePayload,
  snowflake,
  userPayload
} from "./DiscordFakePayloads.js"
import { readBody } from "../../support/LocalHttp.js"

/**
 * A fake Discord on 127.0.0.1 that drives the real discord.js client: REST under `/api/v10`
 * (gateway/bot, users/@me, channel messages and typing, interaction callbacks, webhook
 * follow-ups) and the gateway (DiscordFakeGateway.ts) on the same port. Every REST request is
 * recorded; any route can be given one-shot answers (a 429 with `retry_after`, a 500...).
 * Message creates honour `enforce_nonce`: a repeated nonce in a channel returns the first message
 * and creates nothing (as Discord does), so `created` holds what users would really see. Uploads
 * (multipart `payload_json` + `files[n]`) are parsed; over `maxUploadBytes` they get Discord's 413
 * (code 40005). Message edits (PATCH) change the created message and are recorded in `edits`.
 */

export interface RestCall {
  readonly method: string
  /** Path without the query, e.g. `/api/v10/channels/1/messages`. */
  readonly path: string
  readonly query: string
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** JSON body, or a multipart upload's `payload_json`. */
  readonly body: any
  /** A multipart upload's files (empty otherwise). */
  readonly files: ReadonlyArray<FakeUpload>
}

export interface RestAnswer {
  readonly status: number
  readonly json?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

export interface DiscordFakeOptions {
  readonly token?: string
  readonly guilds?: ReadonlyArray<FakeGuild>
  readonly heartbeatIntervalMillis?: number
  /** Close every IDENTIFY with this gateway close code (e.g. 4014) instead of READY. */
  readonly closeOnIdentify?: number
  /** Larger uploads (all files of one request) get 413, code 40005 (default 10 MiB). */
  readonly maxUploadBytes?: number
}

export interface CreatedMessage {
  readonly channelId: string
  readonly id: string
  /** The create's body (its current content after edits). */
  readonly body: any
  readonly files: ReadonlyArray<FakeUpload>
  readonly nonce?: string
}

export interface DiscordFake {
  /** What OPENCLAW_CONNECTOR_DISCORD_API_ROOT is set to: `http://127.0.0.1:<port>/api`. */
  readonly apiRoot: string
  readonly token: string
  readonly bot: FakeUser
  readonly applicationId: string
  readonly gateway: FakeGateway
  readonly calls: ReadonlyArray<RestCall>
  /** Messages created in channels (POST /channels/:id/messages that succeeded), in order. */
  readonly created: ReadonlyArray<CreatedMessage>
  /** Message edits that succeeded (PATCH /channels/:id/messages/:mid), in order. */
  readonly edits: ReadonlyArray<{ readonly channelId: string; readonly messageId: string; readonly body: any }>
  /** Webhook follow-ups created (POST /webhooks/:app/:token), in order. */
  readonly followUps: ReadonlyArray<{ readonly token: string; readonly body: any }>
  /** Interaction callbacks (POST /interactions/:id/:token/callback), in order. */
  readonly callbacks: ReadonlyArray<{ readonly interactionId: string; readonly body: any }>
  callsTo(method: string, path: string | RegExp): ReadonlyArray<RestCall>
  /** The next requests matching `method` + `path` get these answers, one each, in order. */
  answerNext(method: string, path: string | RegExp, ...answers: ReadonlyArray<RestAnswer>): void
  /** As `answerNext`, for the next requests whose body (JSON, or `payload_json`) also satisfies `when`. */
  answerNextWhen(method: string, path: string | RegExp, when: (body: any) => boolean, ...answers: ReadonlyArray<RestAnswer>): void
  /**
   * The next `times` requests matching `method` + `path` are handled as usual (a message is
   * created) but answered only after `delayMillis`: what a client that timed out never heard.
   */
  answerLate(method: string, path: string | RegExp, delayMillis: number, times?: number): void
  /** Dispatches a MESSAGE_CREATE; returns its payload (with its id). */
  message(message: FakeMessage): ReturnType<typeof messagePayload>
  /** Dispatches an INTERACTION_CREATE for a button press; returns its payload. */
  press(press: Omit<FakePress, "applicationId">): ReturnType<typeof buttonPressPayload>
  /** Resolves once `predicate` holds (checked on every REST call and gateway event). */
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>
  /** Forget REST calls, created messages and pending answers (the gateway session stays). */
  reset(): void
  close(): Promise<void>
}

const parse = (text: string): unknown => {
  if (text === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const matches = (pattern: string | RegExp, path: string) => typeof pattern === "string" ? pattern === path : pattern.test(path)

export const startDiscordFake = async (options: DiscordFakeOptions = {}): Promise<DiscordFake> => {
  const token = options.token ?? "fake-discord-bot-token"
  const bot: FakeUser = { id: snowflake(), username: "openclaw-bot", bot: true }
  const applicationId = bot.id
  const calls: Array<RestCall> = []
  const created: Array<{ channelId: string; body: any; id: string; files: ReadonlyArray<FakeUpload>; nonce?: string }> = []
  const edits: Array<{ channelId: string; messageId: string; body: any }> = []
  const maxUpload = options.maxUploadBytes ?? 10 * 1024 * 1024
  const followUps: Array<{ token: string; body: any }> = []
  const callbacks: Array<{ interactionId: string; body: any }> = []
  const pending: Array<{ method: string; path: string | RegExp; when?: (body: any) => boolean; answer: RestAnswer }> = []
  const late: Array<{ method: string; path: string | RegExp; delayMillis: number }> = []
  const waiters = new Set<() => void>()
  const sockets = new Set<Socket>()
  const changed = () => {
    for (const w of [...waiters]) w()
  }

  const botMessage = (channelId: string, body: any, id = snowflake()) => ({
    ...messagePayload({ id, channelId, author: bot, content: body?.content ?? "", components: body?.components ?? [] })
  })

  const route = (call: RestCall): RestAnswer => {
    const i = pending.findIndex((p) =>
      p.method === call.method && matches(p.path, call.path) && (p.when === undefined || p.when(call.body))
    )
    if (i >= 0) return pending.splice(i, 1)[0]!.answer
    const authorized = call.headers["authorization"] === `Bot ${token}`
    const p = call.path.replace(/^\/api\/v10/, "")
    let m: RegExpMatchArray | null
    if (call.method === "GET" && p === "/gateway/bot") {
      if (!authorized) return { status: 401, json: { message: "401: Unauthorized", code: 0 } }
      return {
        status: 200,
        json: {
          url: gateway.url,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 }
        }
      }
    }
    if (call.method === "GET" && p === "/users/@me") {
      return authorized ? { status: 200, json: userPayload(bot) } : { status: 401, json: { message: "401: Unauthorized", code: 0 } }
    }
    if ((m = p.match(/^\/channels\/(\d+)\/messages$/)) && call.method === "POST") {
      if (!authorized) return { status: 401, json: { message: "401: Unauthorized", code: 0 } }
      const channelId = m[1]!
      const nonce = call.body?.enforce_nonce === true && call.body?.nonce !== undefined ? String(call.body.nonce) : undefined
      const earlier = nonce === undefined ? undefined : created.find((c) => c.channelId === channelId && c.nonce === nonce)
      if (earlier !== undefined) return { status: 200, json: botMessage(channelId, earlier.body, earlier.id) }
      if (call.files.reduce((n, f) => n + f.size, 0) > maxUpload) {
        return { status: 413, json: { message: "Request entity too large", code: 40005 } }
      }
      const message = botMessage(channelId, call.body)
      created.push({ channelId, body: call.body, id: message.id, files: call.files, ...(nonce !== undefined ? { nonce } : {}) })
      return { status: 200, json: message }
    }
    if ((m = p.match(/^\/channels\/(\d+)\/messages\/(\d+)$/)) && call.method === "PATCH") {
      if (!authorized) return { status: 401, json: { message: "401: Unauthorized", code: 0 } }
      const target = created.find((c) => c.channelId === m![1] && c.id === m![2])
      if (target === undefined) return { status: 404, json: { message: "Unknown Message", code: 10008 } }
      target.body = { ...target.body, ...call.body }
      edits.push({ channelId: m[1]!, messageId: m[2]!, body: call.body })
      return { status: 200, json: botMessage(target.channelId, target.body, target.id) }
    }
    if ((m = p.match(/^\/channels\/(\d+)\/typing$/)) && call.method === "POST") {
      return authorized ? { status: 204 } : { status: 401, json: { message: "401: Unauthorized", code: 0 } }
    }
    if ((m = p.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/)) && call.method === "POST") {
      callbacks.push({ interactionId: m[1]!, body: call.body })
      return { status: 204 }
    }
    if ((m = p.match(/^\/webhooks\/(\d+)\/([^/]+)$/)) && call.method === "POST") {
      followUps.push({ token: m[2]!, body: call.body })
      return { status: 200, json: botMessage(snowflake(), call.body) }
    }
    if ((m = p.match(/^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/)) && call.method === "PATCH") {
      return { status: 200, json: botMessage(snowflake(), call.body) }
    }
    return { status: 404, json: { message: "404: Not Found", code: 0 } }
  }

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v
    const [path, query = ""] = (req.url ?? "/").split("?")
    const type = headers["content-type"] ?? ""
    const upload = type.startsWith("multipart/form-data") ? await parseMultipart(raw, type).catch(() => undefined) : undefined
    const body = upload?.body ?? parse(raw.toString("utf8"))
    const call: RestCall = { method: req.method ?? "GET", path: path!, query, headers, body, files: upload?.files ?? [] }
    calls.push(call)
    const answer = route(call)
    const slow = late.findIndex((l) => l.method === call.method && matches(l.path, call.path))
    if (slow >= 0) {
      const { delayMillis } = late.splice(slow, 1)[0]!
      changed()
      await new Promise((resolve) => setTimeout(resolve, delayMillis))
      if (res.destroyed || res.writableEnded) return
    }
    const extra = answer.headers ?? {}
    if (answer.status === 204) res.writeHead(204, extra).end()
    else res.writeHead(answer.status, { "content-type": "application/json", ...extra }).end(JSON.stringify(answer.json ?? {}))
    changed()
  }

  const server = createServer((req, res) => void onRequest(req, res))
  server.on("connection", (s: Socket) => {
    sockets.add(s)
    s.once("close", () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", resolve)
  })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const gateway = startFakeGateway(server, base, {
    token,
    bot,
    applicationId,
    guilds: options.guilds ?? [],
    heartbeatIntervalMillis: options.heartbeatIntervalMillis ?? 41_250,
    ...(options.closeOnIdentify !== undefined ? { closeOnIdentify: options.closeOnIdentify } : {})
  })
  gateway.onChange(changed)

  return {
    apiRoot: `${base}/api`,
    token,
    bot,
    applicationId,
    gateway,
    calls,
    created,
    edits,
    followUps,
    callbacks,
    callsTo: (method, path) => calls.filter((c) => c.method === method && matches(path, c.path)),
    answerNext: (method, path, ...answers) => {
      for (const answer of answers) pending.push({ method, path, answer })
    },
    answerNextWhen: (method, path, when, ...answers) => {
      for (const answer of answers) pending.push({ method, path, when, answer })
    },
    answerLate: (method, path, delayMillis, times = 1) => {
      for (let i = 0; i < times; i++) late.push({ method, path, delayMillis })
    },
    message: (message) => {
      const payload = messagePayload(message)
      gateway.dispatch("MESSAGE_CREATE", payload)
      return payload
    },
    press: (press) => {
      const payload = buttonPressPayload({ ...press, applicationId })
      gateway.dispatch("INTERACTION_CREATE", payload)
      return payload
    },
    waitFor: (predicate, what, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`Discord fake: ${what} not seen within ${timeoutMs} ms; REST calls: ${
            JSON.stringify(calls.map((c) => `${c.method} ${c.path}`))
          }`))
        }, timeoutMs)
        waiters.add(check)
        check()
      }),
    reset: () => {
      calls.length = 0
      created.length = 0
      edits.length = 0
      followUps.length = 0
      callbacks.length = 0
      pending.length = 0
      late.length = 0
    },
    close: async () => {
      await gateway.close()
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
