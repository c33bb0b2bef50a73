import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/**
 * A recording fake of the Telegram Bot API on 127.0.0.1: routes `/bot<token>/<method>` for
 * getMe, getUpdates (long poll with real offset semantics), sendMessage, sendChatAction,
 * answerCallbackQuery, setWebhook, deleteWebhook and getWebhookInfo. Tests push updates, inject
 * failures (a 429 with `retry_after`, a 500, any status) and read back every call.
 *
 * getUpdates as Telegram does it: a call with `offset` confirms (forgets) every update below it;
 * it answers the pending updates at or above the offset at once, or holds the request until an
 * update is pushed or the poll timeout (capped by `holdMillis`) passes, then answers `[]`. While a
 * webhook is set, getUpdates answers 409 like Telegram.
 */
export interface TelegramApiCall {
  readonly method: string
  /** The token in the path was the bot's own. */
  readonly tokenOk: boolean
  /** JSON body (or the query parameters of a GET). */
  readonly body: any
  /** Date.now() when the request arrived. */
  readonly at: number
}

export interface InjectedFailure {
  readonly status: number
  readonly description?: string
  /** For 429: `parameters.retry_after` in seconds. */
  readonly retryAfter?: number
}

export interface TelegramApiFake {
  /** `http://127.0.0.1:<port>` (the API root, no trailing slash). */
  readonly url: string
  readonly calls: ReadonlyArray<TelegramApiCall>
  callsTo(method: string): ReadonlyArray<TelegramApiCall>
  /** Adds updates (an `update_id` is assigned when missing), all visible to the same next poll. */
  push(...updates: ReadonlyArray<Record<string, unknown>>): ReadonlyArray<number>
  /** The next `times` calls of `method` fail with `failure`. */
  fail(method: string, failure: InjectedFailure, times?: number): void
  /** Ids of updates pushed and not yet confirmed. */
  pending(): ReadonlyArray<number>
  /** The highest offset a getUpdates call confirmed (0 before any). */
  readonly confirmedOffset: number
  /** The URL set by setWebhook, if any (getUpdates then answers 409). */
  webhookUrl: string | undefined
  /** Resolves with the calls once `predicate` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (calls: ReadonlyArray<TelegramApiCall>) => boolean, timeoutMs?: number): Promise<ReadonlyArray<TelegramApiCall>>
  /** Forget calls and injected failures (pending updates stay). */
  reset(): void
  close(): Promise<void>
}

export interface TelegramApiFakeOptions {
  readonly token: string
  readonly bot?: { readonly id: number; readonly username: string }
  /** Longest a getUpdates is held without updates (default 25 s, capped by its `timeout`). */
  readonly holdMillis?: number
}

export const FAKE_BOT = { id: 777000111, username: "OpenClawTestBot" } as const

const parseBody = (text: string): any => {
  if (text === "") return {}
  try {
    return JSON.parse(text)
  } catch {
    return { raw: text }
  }
}

export const startTelegramApiFake = (options: TelegramApiFakeOptions): Promise<TelegramApiFake> =>
  new Promise((resolve, reject) => {
    const bot = options.bot ?? FAKE_BOT
    const holdMillis = options.holdMillis ?? 25_000
    const calls: Array<TelegramApiCall> = []
    let updates: Array<Record<string, unknown> & { update_id: number }> = []
    let nextUpdateId = 5000
    let nextMessageId = 1
    let confirmed = 0
    const failures = new Map<string, Array<InjectedFailure>>()
    const callWaiters = new Set<() => void>()
    const pollWaiters = new Set<() => void>()
    const heldTimers = new Set<ReturnType<typeof setTimeout>>()
    const sockets = new Set<Socket>()
    const fake = { webhookUrl: undefined as string | undefined }

    const answer = (res: ServerResponse, status: number, body: unknown) => {
      if (res.writableEnded || res.destroyed) return
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
    }
    const ok = (res: ServerResponse, result: unknown) => answer(res, 200, { ok: true, result })
    const error = (res: ServerResponse, f: InjectedFailure) =>
      answer(res, f.status, {
        ok: false,
        error_code: f.status,
        description: f.description ?? (f.status === 429 ? `Too Many Requests: retry after ${f.retryAfter ?? 1}` : "Internal Server Error"),
        ...(f.retryAfter === undefined ? {} : { parameters: { retry_after: f.retryAfter } })
      })
    const notifyCalls = () => {
      for (const w of [...callWaiters]) w()
    }

    const getUpdates = (res: ServerResponse, body: any) => {
      if (fake.webhookUrl !== undefined) {
        return error(res, {
          status: 409,
          description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
        })
      }
      const offset = Number(body.offset ?? 0)
      if (Number.isInteger(offset) && offset > 0) {
        updates = updates.filter((u) => u.update_id >= offset)
        confirmed = Math.max(confirmed, offset)
      }
      const limit = Math.min(Math.max(Number(body.limit ?? 100) || 100, 1), 100)
      const ready = () => updates.filter((u) => !(offset > 0) || u.update_id >= offset).slice(0, limit)
      const now = ready()
      const wait = Math.min(Math.max(Number(body.timeout ?? 0) || 0, 0) * 1000, holdMillis)
      if (now.length > 0 || wait === 0) return ok(res, now)
      const done = () => {
        pollWaiters.delete(wake)
        heldTimers.delete(timer)
        clearTimeout(timer)
      }
      const wake = () => {
        const batch = ready()
        if (batch.length === 0) return
        done()
        ok(res, batch)
      }
      const timer = setTimeout(() => {
        done()
        ok(res, [])
      }, wait)
      heldTimers.add(timer)
      pollWaiters.add(wake)
      // A poller that gave up (shutdown) gets nothing: its updates stay pending.
      res.once("close", done)
    }

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1")
        const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname)
        if (match === null) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" })
        const [, token, method] = match as unknown as [string, string, string]
        const text = Buffer.concat(chunks).toString("utf8")
        const body = req.method === "GET" ? Object.fromEntries(url.searchParams) : parseBody(text)
        const tokenOk = decodeURIComponent(token) === options.token
        calls.push({ method, tokenOk, body, at: Date.now() })
        notifyCalls()
        if (!tokenOk) return error(res, { status: 401, description: "Unauthorized" })
        const injected = failures.get(method)?.shift()
        if (injected !== undefined) return error(res, injected)
        switch (method) {
          case "getMe":
            return ok(res, { id: bot.id, is_bot: true, first_name: "OpenClaw Test", username: bot.username })
          case "getUpdates":
            return getUpdates(res, body)
          case "sendMessage":
            return ok(res, {
              message_id: nextMessageId++,
              date: Math.floor(Date.now() / 1000),
              chat: { id: Number(body.chat_id), type: Number(body.chat_id) > 0 ? "private" : "supergroup" },
              text: body.text,
              ...(body.message_thread_id === undefined ? {} : { message_thread_id: body.message_thread_id, is_topic_message: true })
            })
          case "sendChatAction":
          case "answerCallbackQuery":
            return ok(res, true)
          case "setWebhook":
            fake.webhookUrl = String(body.url ?? "")
            return ok(res, true)
          case "deleteWebhook":
            fake.webhookUrl = undefined
            return ok(res, true)
          case "getWebhookInfo":
            return ok(res, { url: fake.webhookUrl ?? "", has_custom_certificate: false, pending_update_count: updates.length })
          default:
            return answer(res, 404, { ok: false, error_code: 404, description: "Not Found: method not found" })
        }
      })
    }

    const server = createServer(onRequest)
    server.on("connection", (s: Socket) => {
      sockets.add(s)
      s.once("close", () => sockets.delete(s))
    })
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      // A getter survives Object.assign only when defined on the target itself.
      Object.defineProperty(fake, "confirmedOffset", { get: () => confirmed, enumerable: true })
      resolve(Object.assign(fake as typeof fake & { readonly confirmedOffset: number }, {
        url: `http://127.0.0.1:${port}`,
        calls,
        callsTo: (method: string) => calls.filter((c) => c.method === method),
        push: (...pushed: ReadonlyArray<Record<string, unknown>>) => {
          const ids = pushed.map((u) => {
            const id = typeof u["update_id"] === "number" ? u["update_id"] : nextUpdateId++
            updates.push({ ...u, update_id: id })
            return id
          })
          updates.sort((a, b) => a.update_id - b.update_id)
          for (const w of [...pollWaiters]) w()
          return ids
        },
        fail: (method: string, failure: InjectedFailure, times = 1) => {
          const list = failures.get(method) ?? []
          for (let i = 0; i < times; i++) list.push(failure)
          failures.set(method, list)
        },
        pending: () => updates.map((u) => u.update_id),
        waitFor: (predicate: (c: ReadonlyArray<TelegramApiCall>) => boolean, timeoutMs = 10_000) =>
          new Promise<ReadonlyArray<TelegramApiCall>>((done, fail) => {
            const check = () => {
              if (!predicate(calls)) return
              callWaiters.delete(check)
              clearTimeout(timer)
              done([...calls])
            }
            const timer = setTimeout(() => {
              callWaiters.delete(check)
              const summary = calls.filter((c) => c.method !== "getUpdates").map((c) => ({ method: c.method, body: c.body }))
              fail(new Error(`Telegram API fake: condition not met within ${timeoutMs} ms; calls: ${JSON.stringify(summary)}`))
            }, timeoutMs)
            callWaiters.add(check)
            check()
          }),
        reset: () => {
          calls.length = 0
          failures.clear()
        },
        close: () =>
          new Promise<void>((done) => {
            pollWaiters.clear()
            for (const t of heldTimers) clearTimeout(t)
            for (const s of sockets) s.destroy()
            server.close(() => done())
          })
      }))
    })
  })
