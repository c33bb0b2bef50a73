import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Cause, Deferred, Duration, Effect, Exit, FiberSet, Layer, Schema, type Scope } from "effect"

/**
 * A thin `node:http` server for platform webhooks (architecture.md §8: the @effect/platform
 * server stack costs ~5x; here each request runs one Effect program on a prebuilt Runtime).
 *
 * What every client sees, whatever the route (spec platforms-webhook-polling.md §1.2):
 * - a body over `maxBodyBytes` (default 1 MiB) gets 413 before any handler runs, and the server
 *   stops buffering it (the connection is closed after the answer);
 * - an unknown path gets 404 `404: Not Found`; a known path with another method gets 405;
 *   GET routes also answer HEAD;
 * - a defect in a handler gets 500 with a fixed text and is logged; the server keeps serving.
 *   Handlers must never let input reach this: it is the last guard, not an error channel.
 * A client that disconnects does not cancel its handler: a command that started runs to its end.
 */

export interface RawRequest {
  readonly method: string
  /** The request target before `?`, exactly as received (not percent-decoded). */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  /** The raw body bytes, complete and within the cap; verify signatures over these. */
  readonly body: Buffer
  readonly remoteAddress: string
}

export interface RawResponse {
  readonly status: number
  /** Defaults to `content-type: text/plain; charset=utf-8`; `content-length` is always set. */
  readonly headers?: Readonly<Record<string, string>>
  readonly body: string | Uint8Array
  /**
   * Work to run once the response is written (a platform callback delivery, say). It runs in the
   * same fiber that produced the response, so fibers the handler forked stay alive until it ends;
   * the server waits for it on graceful shutdown (up to `shutdownGraceMillis`), then interrupts it.
   * A defect in it is logged.
   */
  readonly after?: Effect.Effect<void>
  /**
   * Runs instead of `after` when the request fiber is interrupted (shutdown) after the answer was
   * chosen but before `after` could start: gives back what the handler took for that work (replay
   * claims, a processing permit), so an acknowledged event is redelivered rather than lost.
   */
  readonly abandon?: Effect.Effect<void>
}

export interface WebhookRoute<R> {
  readonly method: "GET" | "POST"
  readonly path: string
  /**
   * `prefix`: the route also takes every path below `path` (`/media` takes `/media/abc`, never
   * `/mediax`); exact routes win over prefix routes. Default `exact`.
   */
  readonly match?: "exact" | "prefix"
  readonly handle: (request: RawRequest) => Effect.Effect<RawResponse, never, R>
}

export interface WebhookServerOptions<R> {
  /** Used in logs and errors (`kakao`, `line`...). */
  readonly name: string
  readonly bind: string
  /** 0 picks a free port (tests); read the bound one from `make`'s result. */
  readonly port: number
  readonly maxBodyBytes?: number
  readonly routes: ReadonlyArray<WebhookRoute<R>>
  /** How long shutdown waits for in-flight requests and their `after` work (default 10 s). */
  readonly shutdownGraceMillis?: number
}

/** Where a server actually listens (the real port when 0 was asked for). */
export interface WebhookServerAddress {
  readonly name: string
  readonly host: string
  readonly port: number
  /** `http://<host>:<port>` (IPv6 hosts bracketed). */
  readonly url: string
}

export class WebhookServerError extends Schema.TaggedError<WebhookServerError>()("WebhookServerError", {
  reason: Schema.Literal("listen-failed"),
  server: Schema.String,
  /** `bind:port` as configured. */
  address: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.server} webhook server could not listen on ${this.address}`
  }
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

const INTERNAL_ERROR: RawResponse = {
  status: 500,
  body: "500 Internal Server Error\n\nServer got itself in trouble"
}

const plain = (status: number, body: string, headers: Record<string, string> = {}): RawResponse => ({
  status,
  body,
  headers
})

/**
 * Starts the server in the current scope and returns where it listens; closing the scope stops
 * accepting, waits for in-flight work (bounded), then closes every connection.
 */
const make = <R>(options: WebhookServerOptions<R>): Effect.Effect<WebhookServerAddress, WebhookServerError, R | Scope.Scope> =>
  Effect.gen(function*() {
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    const grace = Duration.millis(options.shutdownGraceMillis ?? 10_000)
    const routesByPath = new Map<string, Array<WebhookRoute<R>>>()
    for (const route of options.routes) routesByPath.set(route.path, [...(routesByPath.get(route.path) ?? []), route])
    const prefixRoutes = options.routes.filter((r) => r.match === "prefix")
    /** Exact routes first (one map lookup on the webhook hot path), then the longest matching prefix. */
    const candidatesFor = (path: string): ReadonlyArray<WebhookRoute<R>> | undefined => {
      const exact = routesByPath.get(path)
      if (exact !== undefined || prefixRoutes.length === 0) return exact
      let best: WebhookRoute<R> | undefined
      for (const r of prefixRoutes) {
        const base = r.path.endsWith("/") ? r.path : `${r.path}/`
        if (path.startsWith(base) && (best === undefined || r.path.length > best.path.length)) best = r
      }
      return best === undefined ? undefined : prefixRoutes.filter((r) => r.path === best.path)
    }

    // Finalizers run in reverse: this set (and whatever is still in it) is interrupted last.
    const fibers = yield* FiberSet.make<unknown, never>()
    // The server's log annotation is captured once, in the runtime every request fiber starts from.
    const run = yield* FiberSet.runtime(fibers)<R>().pipe(Effect.annotateLogs({ server: options.name }))
    let closing = false

    const logAfterDefect = (cause: Cause.Cause<unknown>) => Effect.logError("webhook after-response defect", Cause.pretty(cause))

    /**
     * One request fiber per request. It writes the answer, then runs the response's `after` work
     * in the same fiber (so work the handler forked stays alive until `after` is done). Defects
     * and interruption are answered from the fiber's exit through an observer rather than with
     * combinators around the handler: this wrapping is paid on every webhook (measured: those
     * combinators and a per-request log annotation cost more CPU than the raw HTTP exchange).
     * A defect answers 500 and is logged; an interruption (shutdown) answers 503.
     */
    const dispatch = (route: WebhookRoute<R>, request: RawRequest, res: ServerResponse) =>
      // Uninterruptible between the handler and `after`: once an answer exists, either its `after`
      // starts or its `abandon` runs; interruption can only land inside the handler or `after`.
      run(Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(route.handle(request)), (response) =>
          Effect.zipRight(
            Effect.sync(() => write(res, response)),
            response.after === undefined ? Effect.void : restore(Effect.catchAllCause(response.after, logAfterDefect)).pipe(
              Effect.onInterrupt(() => response.abandon ?? Effect.void)
            )
          ))
      )).addObserver((exit) => {
        if (Exit.isSuccess(exit)) return
        if (Cause.isInterruptedOnly(exit.cause)) return write(res, plain(503, "503: Service Unavailable"))
        write(res, INTERNAL_ERROR)
        run(Effect.logError(`webhook handler defect on ${request.path}`, Cause.pretty(exit.cause)))
      })

    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const target = req.url ?? "/"
      const q = target.indexOf("?")
      const path = q < 0 ? target : target.slice(0, q)
      const candidates = candidatesFor(path)
      if (candidates === undefined) return write(res, plain(404, "404: Not Found"))
      const route = candidates.find((r) => r.method === req.method || (req.method === "HEAD" && r.method === "GET"))
      if (route === undefined) {
        const allow = candidates.flatMap((r) => (r.method === "GET" ? ["GET", "HEAD"] : [r.method])).join(", ")
        return write(res, plain(405, "405: Method Not Allowed", { allow }))
      }
      if (closing) return write(res, plain(503, "503: Service Unavailable", { connection: "close" }))
      const tooLarge = () =>
        write(res, plain(413, `Maximum request body size ${maxBodyBytes} exceeded.`, { connection: "close" }))
      const declared = Number(req.headers["content-length"] ?? "0")
      if (declared > maxBodyBytes) return tooLarge()

      const chunks: Array<Buffer> = []
      let size = 0
      const onData = (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBodyBytes) {
          req.off("data", onData)
          req.off("end", onEnd)
          chunks.length = 0
          tooLarge()
        } else chunks.push(chunk)
      }
      const onEnd = () => {
        const request: RawRequest = {
          method: req.method ?? "GET",
          path,
          query: new URLSearchParams(q < 0 ? "" : target.slice(q + 1)),
          headers: req.headers,
          body: Buffer.concat(chunks, size),
          remoteAddress: req.socket.remoteAddress ?? ""
        }
        dispatch(route, request, res)
      }
      req.on("data", onData)
      req.on("end", onEnd)
      req.on("error", () => req.off("end", onEnd)) // aborted upload: nothing to answer
    }

    const server = createServer({ headersTimeout: 20_000, requestTimeout: 60_000 }, onRequest)
    const address = `${options.bind}:${options.port}`

    yield* Effect.acquireRelease(
      Effect.async<void, WebhookServerError>((resume) => {
        const onError = (cause: unknown) =>
          resume(Effect.fail(new WebhookServerError({ reason: "listen-failed", server: options.name, address, cause })))
        server.once("error", onError)
        server.listen(options.port, options.bind, () => {
          server.off("error", onError)
          resume(Effect.void)
        })
      }),
      () =>
        Effect.gen(function*() {
          closing = true
          const closed = yield* Deferred.make<void>()
          server.close(() => Deferred.unsafeDone(closed, Exit.void))
          // Finalizers run uninterruptibly; the wait must be interruptible for the timeout to end it.
          yield* Effect.interruptible(FiberSet.awaitEmpty(fibers)).pipe(Effect.timeoutOption(grace))
          server.closeAllConnections()
          yield* Deferred.await(closed)
          yield* Effect.logInfo(`${options.name} webhook server stopped`)
        })
    )
    // Without a listener, a late server error (EMFILE on accept...) would crash the process.
    server.on("error", (cause) => run(Effect.logError(`${options.name} webhook server error`, String(cause))))

    const bound = server.address() as AddressInfo
    const host = bound.address
    const result: WebhookServerAddress = {
      name: options.name,
      host,
      port: bound.port,
      url: `http://${host.includes(":") ? `[${host}]` : host}:${bound.port}`
    }
    yield* Effect.logInfo(`${options.name} webhook server listening on ${result.url}`)
    return result
  })

/** Writes a response once; a response that cannot be written (bad header, closed socket) is dropped. */
const write = (res: ServerResponse, response: RawResponse): void => {
  if (res.headersSent || res.destroyed) return
  try {
    const headers: Record<string, string | number> = { "content-type": "text/plain; charset=utf-8" }
    for (const [k, v] of Object.entries(response.headers ?? {})) headers[k.toLowerCase()] = v
    // A string body goes out as a string: Node then sends headers and body in one write instead of
    // a two-chunk writev (measured: the writev path cost a fifth of the CPU of a webhook request).
    headers["content-length"] = typeof response.body === "string"
      ? Buffer.byteLength(response.body, "utf8")
      : response.body.byteLength
    res.writeHead(response.status, headers)
    res.end(response.body)
  } catch {
    res.destroy()
  }
}

export const WebhookServer = {
  /** Scoped: listens now, returns the bound address (use this in tests, with port 0). */
  make,
  /** The server as a Layer for `main.ts`: listening while the layer is alive; provides nothing. */
  layer: <R>(options: WebhookServerOptions<R>): Layer.Layer<never, WebhookServerError, R> =>
    Layer.scopedDiscard(make(options))
} as const
