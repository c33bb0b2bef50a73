import { request } from "node:http"
import { Effect } from "effect"

/** A minimal loopback HTTP client for server tests: full control over method, framing and bytes. */
export interface ClientResponse {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly text: string
}

export interface SendOptions {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly body?: Uint8Array | string
  /** Send the body with chunked transfer encoding (no content-length). */
  readonly chunked?: boolean
}

/**
 * Resolves with the first complete response. Errors after a response started (the server closing
 * a connection whose oversized upload it refused) are ignored; errors before one fail.
 */
export const send = (url: string, options: SendOptions = {}): Effect.Effect<ClientResponse, Error> =>
  Effect.async<ClientResponse, Error>((resume) => {
    const body = typeof options.body === "string" ? Buffer.from(options.body) : options.body
    let settled = false
    const done = (effect: Effect.Effect<ClientResponse, Error>) => {
      if (!settled) {
        settled = true
        resume(effect)
      }
    }
    const headers: Record<string, string | number> = { ...options.headers }
    if (body !== undefined && !options.chunked) headers["content-length"] = body.byteLength
    const req = request(url, { method: options.method ?? "POST", headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () =>
        done(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") })))
      res.on("error", (e) => done(Effect.fail(e)))
    })
    req.on("error", (e) => done(Effect.fail(e)))
    if (body !== undefined && options.chunked) {
      // Several writes so the server sees a stream, not one buffer.
      const step = 64 * 1024
      for (let i = 0; i < body.byteLength; i += step) req.write(body.subarray(i, i + step))
    } else if (body !== undefined) req.write(body)
    req.end()
  })

/** POST a JSON-ish body and parse the answer as JSON when it is JSON. */
export const postJson = (url: string, body: string | Uint8Array) =>
  Effect.map(send(url, { body, headers: { "content-type": "application/json" } }), (res) => ({
    ...res,
    json: String(res.headers["content-type"] ?? "").startsWith("application/json") ? JSON.parse(res.text) as unknown : undefined
  }))
