import { Client, DiscordAPIError, Events, GatewayIntentBits, Options, Partials, RESTEvents } from "discord.js"
import { Deferred, Duration, Effect, Either, ExecutionStrategy, Exit, Redacted, Scope } from "effect"
import { type HealthState, PlatformHealth } from "../../ports/PlatformHealth.js"
import { classifySendError } from "./DiscordRest.js"

/**
 * The discord.js gateway client's life (bug D2 fixed: HELLO before IDENTIFY, heartbeats,
 * op 7/9 and RESUME are all discord.js's). REST goes to `apiRoot` (`<apiRoot>/v10/...`), and the
 * gateway URL is whatever `GET /v10/gateway/bot` there answers, so tests point both at a fake.
 *
 * - Intents: Guilds (channel cache), GuildMessages, MessageContent (privileged: switch it on in
 *   the Developer Portal), DirectMessages; partial channels so DMs arrive uncached. Messages are
 *   not cached: nothing reads history, and the replay store, not a cache, deduplicates.
 * - Login is attempted with a fresh client each time. A refused token (401, close 4004) or
 *   another fatal close (4010-4014, e.g. the Message Content intent not enabled) is recorded in
 *   PlatformHealth and logged, and the adapter stays down; the process keeps running. Network
 *   failures are retried with backoff (1 s doubling to 5 min).
 * - After READY, discord.js reconnects and resumes on its own; fatal closes later are recorded too.
 */

export interface GatewayOptions {
  readonly token: Redacted.Redacted
  readonly apiRoot: string
  /** Gives up one login attempt after this long (default 2 min). */
  readonly loginTimeout?: Duration.Duration
  readonly retryBase?: Duration.Duration
}

/** Runs a listener's effect in the adapter's scope (listeners cannot wait). */
export type RunInScope = (effect: Effect.Effect<void, never, PlatformHealth>) => void

interface LoginFailure {
  readonly state: HealthState
  readonly detail: string
  /** Retrying cannot help (bad token, missing intent...): stay down. */
  readonly fatal: boolean
}

const MAX_RETRY_DELAY = Duration.minutes(5)

/** Gateway close codes after which discord.js does not reconnect, with what to tell the operator. */
const FATAL_CLOSES: Record<number, string> = {
  4004: "authentication failed: check OPENCLAW_CONNECTOR_DISCORD_TOKEN",
  4010: "invalid shard",
  4011: "sharding required",
  4012: "invalid API version",
  4013: "invalid intents",
  4014: "disallowed intents: enable the Message Content intent for the bot in the Discord Developer Portal"
}

export const fatalClose = (code: number): LoginFailure | undefined => {
  const why = FATAL_CLOSES[code]
  if (why === undefined) return undefined
  return { state: code === 4004 ? "invalid_token" : "rejected", detail: `gateway closed ${code}: ${why}`, fatal: true }
}

const classifyLogin = (cause: unknown): LoginFailure => {
  const code = (cause as { code?: unknown } | null)?.code
  if (code === "TokenInvalid" || (cause instanceof DiscordAPIError && cause.status === 401)) {
    return { state: "invalid_token", detail: "Discord refused the bot token (401): check OPENCLAW_CONNECTOR_DISCORD_TOKEN", fatal: true }
  }
  return { state: "unreachable", detail: classifySendError(cause).detail, fatal: false }
}

export const makeClient = (apiRoot: string): Client =>
  new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages
    ],
    partials: [Partials.Channel],
    rest: { api: apiRoot.replace(/\/+$/, ""), timeout: 15_000, retries: 2 },
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
    allowedMentions: { parse: [], repliedUser: false }
  })

/** Error text for logs, with the token scrubbed in case a library put it there. */
const scrub = (token: Redacted.Redacted, error: unknown): string => {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  const secret = Redacted.value(token)
  return secret === "" ? text : text.split(secret).join("[redacted]")
}

const record = (state: HealthState, detail: string) =>
  Effect.flatMap(PlatformHealth, (health) => health.record("discord", "", state, detail))

/** Lifecycle listeners: READY, resumes, reconnects, fatal closes, 429s and library errors. */
const watch = (client: Client, options: GatewayOptions, run: RunInScope, fatal: Deferred.Deferred<LoginFailure>) => {
  let connected = false
  client.once(Events.ClientReady, (ready) => {
    connected = true
    run(Effect.zipRight(record("ok", "gateway ready"), Effect.logInfo(`Discord connected as ${ready.user.tag}`)))
  })
  client.on(Events.ShardResume, () => run(Effect.logInfo("Discord gateway session resumed")))
  client.on(Events.ShardReconnecting, () => run(Effect.logInfo("Discord gateway reconnecting")))
  client.on(Events.ShardDisconnect, (event) => {
    const failure = fatalClose(event.code)
    if (failure === undefined) return
    // Before READY the login attempt reports it; afterwards nobody else would.
    Deferred.unsafeDone(fatal, Exit.succeed(failure))
    if (connected) run(Effect.zipRight(record(failure.state, failure.detail), Effect.logError(`Discord ${failure.detail}; adapter down`)))
  })
  client.on(Events.ShardError, (error) => run(Effect.logWarning(`Discord gateway error: ${scrub(options.token, error)}`)))
  client.on(Events.Error, (error) => run(Effect.logError(`Discord client error: ${scrub(options.token, error)}`)))
  client.on(Events.Warn, (message) => run(Effect.logWarning(`Discord client warning: ${scrub(options.token, message)}`)))
  client.rest.on(RESTEvents.Response, (_request, response) => {
    if (response.status !== 429) return
    run(Effect.zipRight(
      record("rate_limited", "429 from Discord REST"),
      Effect.logWarning("Discord answered 429 (rate limited); the request waits retry_after and is retried")
    ))
  })
}

/** One login with a fresh client in `scope`: the client, or why it failed. */
const attempt = (options: GatewayOptions, attach: (client: Client) => void, run: RunInScope) =>
  Effect.gen(function*() {
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => makeClient(options.apiRoot)),
      (c) =>
        Effect.suspend(() => {
          // Destroying closes the socket normally, which discord.js reports as "reconnecting".
          c.removeAllListeners(Events.ShardReconnecting)
          return Effect.promise(() => c.destroy())
        }).pipe(Effect.timeout(Duration.seconds(5)), Effect.ignore)
    )
    const fatal = yield* Deferred.make<LoginFailure>()
    watch(client, options, run, fatal)
    attach(client)
    const login = Effect.tryPromise({ try: () => client.login(Redacted.value(options.token)), catch: classifyLogin }).pipe(
      Effect.timeoutFail({
        duration: options.loginTimeout ?? Duration.minutes(2),
        onTimeout: (): LoginFailure => ({ state: "unreachable", detail: "login timed out", fatal: false })
      })
    )
    yield* Effect.raceFirst(login, Effect.flatMap(Deferred.await(fatal), Effect.fail))
    return client
  })

/**
 * Logs in (retrying network failures with backoff) and keeps the client until the surrounding
 * scope closes, which destroys it. `attach` registers the message and interaction listeners.
 */
export const runGateway = (
  options: GatewayOptions,
  attach: (client: Client) => void,
  run: RunInScope
): Effect.Effect<void, never, Scope.Scope | PlatformHealth> =>
  Effect.gen(function*() {
    const parent = yield* Effect.scope
    let delay = options.retryBase ?? Duration.seconds(1)
    for (;;) {
      const scope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
      const result = yield* Effect.either(Scope.extend(attempt(options, attach, run), scope))
      if (Either.isRight(result)) return
      yield* Scope.close(scope, Exit.void)
      const failure = result.left
      yield* record(failure.state, failure.detail)
      if (failure.fatal) return yield* Effect.logError(`Discord login failed: ${failure.detail}; adapter down`)
      yield* Effect.logWarning(`Discord login failed (${failure.detail}); retrying in ${Duration.format(delay)}`)
      yield* Effect.sleep(delay)
      delay = Duration.min(Duration.times(delay, 2), MAX_RETRY_DELAY)
    }
  })
