import { type Logger, LogLevel, SocketModeClient, type SocketModeOptions } from "@slack/socket-mode"
import { Duration, Effect, FiberSet, Redacted, type Scope } from "effect"
import { type HealthState, PlatformHealth } from "../../ports/PlatformHealth.js"
import type { Ack, SocketEnvelope } from "./SocketModeEnvelopes.js"
import { sdkFailureOf } from "./SlackErrors.js"

/**
 * The Socket Mode connection through @slack/socket-mode (spec platforms-slack-feishu.md §2.9):
 * `apps.connections.open` at `<apiRoot>apps.connections.open` with the app-level token, then the
 * WebSocket it names. `hello`, `disconnect` envelopes, pings and reconnects are the library's: a
 * `disconnect` envelope or a dropped socket reconnects with a fresh `apps.connections.open`.
 * Every other envelope is handed to `onEnvelope` in its own fiber, owned by the caller's scope.
 *
 * Guarded so that the library cannot take the process down or leak a secret:
 * - Its logger is ours: debug lines (which echo whole envelopes) are dropped; the rest is
 *   forwarded with tokens and URLs (the socket URL carries a ticket) scrubbed.
 * - A refused app token (`invalid_auth`, `not_authed`, `account_inactive`...) is recorded as
 *   PlatformHealth `slack` / `socket-mode` `invalid_token` and logged as an error; Socket Mode stays
 *   down, the process keeps running. The library rethrows it from timers without a handler (an
 *   unhandled rejection ends a Node process), so the rejections are caught here.
 * - HTTP and network failures of `apps.connections.open` are retried forever, 1 s doubling to
 *   60 s (the reference's loop), recorded `unreachable` / `rate_limited` meanwhile.
 * - Closing the scope disconnects (no new envelopes), waits up to `shutdownGraceMillis` for the
 *   envelopes in progress, then interrupts them.
 */
export const SOCKET_INSTALLATION = "socket-mode"

export interface SocketConnectionOptions<R> {
  readonly appToken: Redacted.Redacted
  readonly apiRoot: string
  readonly onEnvelope: (envelope: SocketEnvelope, ack: Ack) => Effect.Effect<void, never, R>
  /** The library's `clientPingTimeout`: pong wait, and the step of its reconnect delay (default 5 s). */
  readonly clientPingTimeoutMillis?: number
  /** First wait after a failed `apps.connections.open` (default 1 s, doubling to 60 s). */
  readonly retryBaseMillis?: number
  readonly shutdownGraceMillis?: number
}

const TOKEN = /\bx(?:app|ox[a-z])-[A-Za-z0-9-]+/g
const URL_TEXT = /\b(?:wss?|https?):\/\/\S+/g

/** Library text for our logs: no token (any Slack token shape), no URL, bounded. */
export const scrubLibraryText = (appToken: string, parts: ReadonlyArray<unknown>): string => {
  const text = parts.map((p) => (p instanceof Error ? `${p.name}: ${p.message}` : String(p))).join(" ")
  const withoutToken = appToken === "" ? text : text.split(appToken).join("[redacted]")
  return withoutToken.replace(TOKEN, "[redacted]").replace(URL_TEXT, "[url]").slice(0, 300)
}

export interface Refusal {
  readonly state: HealthState
  readonly detail: string
}

const OPEN = "apps.connections.open"

/** What a failure of `apps.connections.open` means for the operator (fixed words and Slack's error code). */
export const refusalOf = (error: unknown): Refusal => {
  const failure = sdkFailureOf(error)
  switch (failure._tag) {
    case "Platform": {
      const state = failure.kind === "auth-invalid"
        ? "invalid_token"
        : failure.kind === "rate-limited"
        ? "rate_limited"
        : failure.kind === "unreachable"
        ? "unreachable"
        : "rejected"
      return { state, detail: `${OPEN}: ${failure.code}` }
    }
    case "RateLimited":
      return { state: "rate_limited", detail: `${OPEN}: rate limited` }
    case "Http":
      return { state: "unreachable", detail: `${OPEN}: http ${failure.status}` }
    case "Unreachable":
    case "Unexpected":
      return { state: "unreachable", detail: `${OPEN}: unreachable` }
  }
}

interface Hooks {
  /** `apps.connections.open` failed for good (the library will not retry). */
  readonly refused: (error: unknown) => void
  /** A frame the library could not handle (it would have been an unhandled rejection). */
  readonly frameFailed: (error: unknown) => void
}

type OpenResponse = Awaited<ReturnType<SocketModeClient["start"]>>

/** The library's client, with its promise rejections caught (see the module comment). */
class GuardedSocketModeClient extends SocketModeClient {
  private readonly hooks: Hooks

  constructor(options: SocketModeOptions, hooks: Hooks) {
    super(options)
    this.hooks = hooks
    // `retrieveWSSURL` retries itself through `delayReconnectAttempt`, which does not handle the
    // rejection of the retried call; caught at every level, a refusal ends the attempt quietly.
    const self = this as unknown as { retrieveWSSURL: () => Promise<string> }
    const retrieve = self.retrieveWSSURL
    self.retrieveWSSURL = () =>
      retrieve.call(this).catch((error: unknown) => {
        this.hooks.refused(error)
        return new Promise<string>(() => {})
      })
  }

  /** Reconnects call `start` from a timer without a handler: it never rejects. */
  override async start(): Promise<OpenResponse> {
    try {
      return await super.start()
    } catch {
      return { ok: false }
    }
  }

  protected override async onWebSocketMessage(data: string | ArrayBuffer, isBinary: boolean): Promise<void> {
    try {
      await super.onWebSocketMessage(data, isBinary)
    } catch (error) {
      this.hooks.frameFailed(error)
    }
  }
}

type Forward = (level: "info" | "warn" | "error", text: string) => void

const libraryLogger = (appToken: string, forward: Forward): Logger => ({
  debug: () => {},
  info: (...msg) => forward("info", scrubLibraryText(appToken, msg)),
  warn: (...msg) => forward("warn", scrubLibraryText(appToken, msg)),
  error: (...msg) => forward("error", scrubLibraryText(appToken, msg)),
  setLevel: () => {},
  getLevel: () => LogLevel.INFO,
  setName: () => {}
})

interface LibraryEnvelope {
  readonly ack?: (response?: Record<string, unknown>) => Promise<void>
  readonly envelope_id?: unknown
  readonly type?: unknown
  readonly body?: unknown
  readonly retry_num?: unknown
  readonly retry_reason?: unknown
}

const envelopeOf = (e: LibraryEnvelope): SocketEnvelope => ({
  type: typeof e.type === "string" ? e.type : "",
  envelopeId: typeof e.envelope_id === "string" ? e.envelope_id : "",
  payload: e.body,
  retryAttempt: typeof e.retry_num === "number" ? e.retry_num : 0,
  retryReason: typeof e.retry_reason === "string" ? e.retry_reason : ""
})

const errorName = (error: unknown): string => (error instanceof Error ? error.name : "unknown").slice(0, 60)

/**
 * Connects (in the background: a slow or refused connection never blocks startup) and keeps the
 * connection until the scope closes.
 */
export const runSocketConnection = <R>(
  options: SocketConnectionOptions<R>
): Effect.Effect<void, never, Scope.Scope | PlatformHealth | R> =>
  Effect.gen(function*() {
    const health = yield* PlatformHealth
    const fibers = yield* FiberSet.make<unknown, never>()
    const run = yield* FiberSet.runtime(fibers)<R>()
    const appToken = Redacted.value(options.appToken).trim()
    let stopped = false
    let connections = 0

    const record = (state: HealthState, detail: string) => health.record("slack", SOCKET_INSTALLATION, state, detail)
    const forward: Forward = (level, text) => {
      const log = level === "info" ? Effect.logDebug : Effect.logWarning
      run(log(`Slack Socket Mode library: ${text}`))
    }

    const retryConfig = {
      forever: true,
      factor: 2,
      minTimeout: options.retryBaseMillis ?? 1_000,
      maxTimeout: 60_000,
      randomize: false,
      unref: true,
      // p-retry calls this for each HTTP/network failure; throwing ends the retries (shutdown).
      onFailedAttempt: (error: unknown) => {
        if (stopped) throw new Error("Socket Mode stopped")
        const refusal = refusalOf(error)
        run(Effect.zipRight(
          record(refusal.state, refusal.detail),
          Effect.logWarning(`Slack Socket Mode could not connect (${refusal.detail}); retrying`)
        ))
      }
    }
    const client = new GuardedSocketModeClient({
      appToken,
      logger: libraryLogger(appToken, forward),
      clientPingTimeout: options.clientPingTimeoutMillis ?? 5_000,
      clientOptions: { slackApiUrl: options.apiRoot, timeout: 15_000, retryConfig }
    }, {
      refused: (error) => {
        if (stopped) return
        const refusal = refusalOf(error)
        const hint = refusal.state === "invalid_token" ? ": check OPENCLAW_CONNECTOR_SLACK_APP_TOKEN" : ""
        run(Effect.zipRight(
          record(refusal.state, refusal.detail),
          Effect.logError(`Slack Socket Mode refused (${refusal.detail})${hint}; Slack Socket Mode is down`)
        ))
      },
      frameFailed: (error) => run(Effect.logWarning(`Slack Socket Mode frame not handled (${errorName(error)})`))
    })

    client.on("connected", () => {
      // A connection that completes after shutdown began is closed again.
      if (stopped) return void client.disconnect()
      connections += 1
      const first = connections === 1
      run(Effect.zipRight(
        record("ok", "socket connected"),
        Effect.logInfo(first ? "Slack Socket Mode connected" : `Slack Socket Mode reconnected (connection ${connections})`)
      ))
    })
    client.on("reconnecting", () => run(Effect.logInfo("Slack Socket Mode reconnecting")))
    client.on("slack_event", (e: LibraryEnvelope) => {
      const ack: Ack = Effect.tryPromise({
        try: () => (e.ack === undefined ? Promise.resolve() : e.ack()),
        catch: (error) => ({ _tag: "AckFailed" as const, reason: errorName(error) })
      })
      run(options.onEnvelope(envelopeOf(e), ack))
    })

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        stopped = true
        yield* Effect.promise(() => client.disconnect()).pipe(Effect.timeout(Duration.seconds(5)), Effect.ignore)
        // Finalizers are uninterruptible; the wait must be interruptible for the timeout to end it.
        yield* Effect.interruptible(FiberSet.awaitEmpty(fibers)).pipe(
          Effect.timeoutOption(Duration.millis(options.shutdownGraceMillis ?? 10_000))
        )
        yield* Effect.logInfo("Slack Socket Mode disconnected")
      })
    )
    yield* Effect.logInfo("Slack Socket Mode connecting (apps.connections.open with the app-level token)")
    void client.start()
  })
