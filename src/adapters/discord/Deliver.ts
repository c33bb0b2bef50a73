import { Duration, Effect, Either, Random, Schedule } from "effect"
import { PlatformHealth } from "../../ports/PlatformHealth.js"
import type { WireMessage } from "./Render.js"
import { type DiscordSendError, isRetryable } from "./SendError.js"

/**
 * Sending a reply's messages, in order, as a delivery (bug D1 fixed): a failed send is retried a
 * bounded number of times with backoff, never by running the command again, and a send that
 * still fails is logged and ends the reply (later parts would read out of context). Failures
 * never escape: the gateway connection is never torn down by a reply.
 *
 * Channel messages carry a `nonce` with `enforce_nonce`, the same on every retry of one message:
 * when a timed-out attempt did reach Discord, the retry returns that message instead of posting
 * it twice.
 */

/** Where a reply's messages go: a channel (REST create message) or an interaction follow-up. */
export interface DiscordSink {
  /** What the logs call this destination (ids only, never a token). */
  readonly describe: string
  readonly post: (message: WireMessage, nonce: string) => Effect.Effect<void, DiscordSendError>
}

/** 3 retries after the first attempt, about 0.5 s, 1 s and 2 s apart (jittered). */
export const DEFAULT_RETRY: Schedule.Schedule<unknown, DiscordSendError> = Schedule.exponential(Duration.millis(500)).pipe(
  Schedule.jittered,
  Schedule.intersect(Schedule.recurs(3))
)

const NONCE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

/** 22 characters (Discord allows 25). */
export const newNonce = Effect.map(
  Effect.all(Array.from({ length: 22 }, () => Random.nextIntBetween(0, NONCE_ALPHABET.length))),
  (codes) => codes.map((c) => NONCE_ALPHABET[c]).join("")
)

/** Marks the bot's health from a send's outcome (recording never fails). */
export const noteOutcome = (outcome: "ok" | DiscordSendError) =>
  Effect.flatMap(PlatformHealth, (health) => {
    if (outcome === "ok") return health.record("discord", "", "ok", "REST call succeeded")
    if (outcome.reason === "unauthorized") return health.record("discord", "", "invalid_token", "401 from Discord REST")
    if (outcome.reason === "unreachable") return health.record("discord", "", "unreachable", outcome.detail)
    return Effect.void
  })

/**
 * Posts `messages` to `sink` in order; true when every one was delivered. `retry` is the policy
 * for retryable failures (tests shorten it).
 */
export const deliver = (
  sink: DiscordSink,
  messages: ReadonlyArray<WireMessage>,
  retry: Schedule.Schedule<unknown, DiscordSendError> = DEFAULT_RETRY
): Effect.Effect<boolean, never, PlatformHealth> =>
  Effect.gen(function*() {
    for (const [index, message] of messages.entries()) {
      const nonce = yield* newNonce
      const sent = yield* sink.post(message, nonce).pipe(
        Effect.retry({ schedule: retry, while: isRetryable }),
        Effect.either
      )
      if (Either.isLeft(sent)) {
        yield* noteOutcome(sent.left)
        yield* Effect.logError(
          `Discord reply to ${sink.describe} not delivered (part ${index + 1} of ${messages.length}): ${sent.left.reason}, ${sent.left.detail}`
        )
        return false
      }
    }
    if (messages.length > 0) yield* noteOutcome("ok")
    return true
  })

/** Discord shows "typing" for about 10 s per call; renewing every 8 s keeps it continuous. */
export const TYPING_RENEW = Duration.seconds(8)

/**
 * Runs `work` while the typing indicator shows in the channel, and stops renewing it the moment
 * the work ends (the reply itself clears it). Indicator failures are ignored.
 */
export const withTyping = <A, E, R>(
  typing: Effect.Effect<void, DiscordSendError>,
  work: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.scoped(
    Effect.forkScoped(Effect.repeat(Effect.ignore(typing), Schedule.spaced(TYPING_RENEW))).pipe(
      // Let the indicator's first call go out before the work starts (it is not awaited).
      Effect.zipRight(Effect.yieldNow()),
      Effect.zipRight(work)
    )
  )
