import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { callWaiters, closeServer, listenLocal } from "../../support/LocalHttp.js"

/**
 * A recording fake of the Telegram Bot API on 127.0.0.1: routes `/bot<token>/<method>` for
 * getMe, getUpdates (long poll with real offset semantics), sendMessage, editMessageText,
 * sendPhoto, sendDocument (multipart: fields and files recorded), sendChatAction,
 * answerCallbackQuery, setWebhook, deleteWebhook and getWebhookInfo. Tests push updates, inject
 * failures (a 429 with `retry_after`, a 500, any status, no answer at all) and read back every call.
 * Uploads over `maxPhotoBytes` / `maxDocumentBytes` get Telegram's 413; editing a message to its
 * current text gets Telegram's "message is not modified" 400.
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
  /** JSON body (or the query parameters of a GET, or the text fields of a multipart upload). */
  readonly body: any
  /** The files of a multipart upload. */
  readonly files: ReadonlyArray<UploadedFile>
  /** Date.now() when the request arrived. */
  readonly at: number
}

export interface UploadedFile {
  /** The form field (`photo`, `document`). */
  readonly field: string
  readonly filename: string
  readonly contentType: string
  readonly size: number
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
  /** The first later call of `method` whose body matches fails with `failure` (once). */
  failWhen(method: string, matches: (body: any) => boolean, failure: InjectedFailure): void
  /** The next `times` calls of `method` are recorded and never answered (until close). */
  stall(method: string, times?: number): void
  /** The current text of a message the bot sent (sendMessage, then editMessageText). */
  textOf(chatId: number, messageId: number): string | undefined
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
  /** Larger photo uploads get 413 (default 10 MiB, Telegram's photo limit). */
  readonly maxPhotoBytes?: number
  /** Larger document uploads get 413 (default 50 MiB). */
  readonly maxDocumentBytes?: number
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

/** Text fields and files of a multipart/form-data body (parsed by undici's FormData). */
const parseMultipart = async (raw: Buffer, contentType: string) => {
  const form = await new Response(raw, { headers: { "content-type": contentType } }).formData()
  const body: Record<string, string> = {}
  const files: Array<UploadedFile> = []
  for (const [field, value] of form.entries()) {
    if (typeof value === "string") body[field] = value
    else files.push({ field, filename: value.name, contentType: value.type, size: value.size })
  }
  return { body, files }
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
    const conditional: Array<{ method: string; matches: (body: any) => boolean; failure: InjectedFailure }> = []
    const stalls = new Map<string, number>()
    const stalled = new Set<ServerResponse>()
    const texts = new Map<string, string>()
    const maxPhoto = options.maxPhotoBytes ?? 10 * 1024 * 1024
    const maxDocument = options.maxDocumentBytes ?? 50 * 1024 * 1024
    const waiting = callWaiters("Telegram API fake", calls, (c) =>
      JSON.stringify(c.filter((call) => call.method !== "getUpdates").map((call) => ({ method: call.method, body: call.body }))))
    const pollWaiters = new Set<() => void>()
    const heldTimers = new Set<ReturnType<typeof setTimeout>>()
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
      waiting.notify()
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

    const sent = (body: any, extra: Record<string, unknown>) => {
      const chatId = Number(body.chat_id)
      const threadId = body.message_thread_id === undefined ? undefined : Number(body.message_thread_id)
      return {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: chatId > 0 ? "private" : "supergroup" },
        ...(threadId === undefined ? {} : { message_thread_id: threadId, is_topic_message: true }),
        ...extra
      }
    }

    const upload = (res: ServerResponse, body: any, files: ReadonlyArray<UploadedFile>, field: string, max: number) => {
      const file = files.find((f) => f.field === field)
      if (file === undefined) return error(res, { status: 400, description: `Bad Request: there is no ${field} in the request` })
      if (file.size > max) return error(res, { status: 413, description: "Request Entity Too Large" })
      const media = field === "photo"
        ? { photo: [{ file_id: `p${nextMessageId}`, file_unique_id: `u${nextMessageId}`, width: 1, height: 1, file_size: file.size }] }
        : { document: { file_id: `d${nextMessageId}`, file_unique_id: `u${nextMessageId}`, file_name: file.filename, mime_type: file.contentType, file_size: file.size } }
      return ok(res, sent(body, media))
    }

    const edit = (res: ServerResponse, body: any) => {
      const key = `${Number(body.chat_id)}:${Number(body.message_id)}`
      const current = texts.get(key)
      if (current === undefined) return error(res, { status: 400, description: "Bad Request: message to edit not found" })
      if (current === body.text) {
        return error(res, {
          status: 400,
          description: "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
        })
      }
      texts.set(key, String(body.text))
      return ok(res, { message_id: Number(body.message_id), chat: { id: Number(body.chat_id) }, text: body.text, edit_date: 1 })
    }

    const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer, multipart: { body: any; files: Array<UploadedFile> } | undefined) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname)
      if (match === null) return answer(res, 404, { ok: false, error_code: 404, description: "Not Found" })
      const [, token, method] = match as unknown as [string, string, string]
      const body = multipart?.body ?? (req.method === "GET" ? Object.fromEntries(url.searchParams) : parseBody(raw.toString("utf8")))
      const files = multipart?.files ?? []
      const tokenOk = decodeURIComponent(token) === options.token
      calls.push({ method, tokenOk, body, files, at: Date.now() })
      notifyCalls()
      if (!tokenOk) return error(res, { status: 401, description: "Unauthorized" })
      const stallsLeft = stalls.get(method) ?? 0
      if (stallsLeft > 0) {
        stalls.set(method, stallsLeft - 1)
        stalled.add(res)
        return
      }
      const injected = failures.get(method)?.shift()
      if (injected !== undefined) return error(res, injected)
      const when = conditional.findIndex((c) => c.method === method && c.matches(body))
      if (when >= 0) return error(res, conditional.splice(when, 1)[0]!.failure)
      switch (method) {
        case "getMe":
          return ok(res, { id: bot.id, is_bot: true, first_name: "OpenClaw Test", username: bot.username })
        case "getUpdates":
          return getUpdates(res, body)
        case "sendMessage": {
          const message = sent(body, { text: body.text })
          texts.set(`${message.chat.id}:${message.message_id}`, String(body.text))
          return ok(res, message)
        }
        case "editMessageText":
          return edit(res, body)
        case "sendPhoto":
          return upload(res, body, files, "photo", maxPhoto)
        case "sendDocument":
          return upload(res, body, files, "document", maxDocument)
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
    }

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const raw = Buffer.concat(chunks)
        const type = req.headers["content-type"] ?? ""
        if (!type.startsWith("multipart/form-data")) return handle(req, res, raw, undefined)
        parseMultipart(raw, type).then(
          (parsed) => handle(req, res, raw, parsed),
          () => answer(res, 400, { ok: false, error_code: 400, description: "Bad Request: malformed multipart body" })
        )
      })
    }

    const server = createServer(onRequest)
    listenLocal(server).then((port) => {
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
        failWhen: (method: string, matches: (body: any) => boolean, failure: InjectedFailure) =>
          void conditional.push({ method, matches, failure }),
        stall: (method: string, times = 1) => void stalls.set(method, (stalls.get(method) ?? 0) + times),
        textOf: (chatId: number, messageId: number) => texts.get(`${chatId}:${messageId}`),
        pending: () => updates.map((u) => u.update_id),
        waitFor: waiting.waitFor,
        reset: () => {
          calls.length = 0
          failures.clear()
          conditional.length = 0
          stalls.clear()
        },
        close: () => {
          pollWaiters.clear()
          for (const t of heldTimers) clearTimeout(t)
          for (const r of stalled) r.destroy()
          return closeServer(server)
        }
      }))
    }, reject)
  })
