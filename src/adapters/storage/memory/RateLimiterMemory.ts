import { Clock, Effect, Layer } from "effect"
import { type Bucket, fullBucket, takeBoth } from "../../../domain/ratelimit/TokenBucket.js"
import { RateLimiter } from "../../../ports/RateLimiter.js"
import { Settings } from "../../../ports/Settings.js"

/** A bucket idle this long is full again (refill of a whole bucket takes 60 s) and is dropped. */
export const IDLE_EVICTION_MILLIS = 10 * 60_000
const SWEEP_EVERY_MILLIS = 60_000

/**
 * Per-process token buckets. Sender and channel buckets live in separate maps, so a DM whose chat
 * id equals the user id still has two budgets. Each `take` is one synchronous step, so concurrent
 * fibers cannot interleave inside it. Buckets idle for over 10 minutes are evicted (at most once a
 * minute, on a `take`), so memory is bounded by the traffic of the last 10 minutes.
 */
export const makeRateLimiterMemory = Effect.gen(function*() {
  const settings = yield* Settings
  const senders = new Map<string, Bucket>()
  const channels = new Map<string, Bucket>()
  let lastSweepMillis = 0

  const sweep = (now: number) => {
    if (now - lastSweepMillis < SWEEP_EVERY_MILLIS) return
    lastSweepMillis = now
    for (const buckets of [senders, channels]) {
      for (const [key, bucket] of buckets) {
        if (now - bucket.atMillis > IDLE_EVICTION_MILLIS) buckets.delete(key)
      }
    }
  }

  const take = (senderKey: string, channelKey: string) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      sweep(now)
      const userRpm = settings.rateLimitUserRpm
      const channelRpm = settings.rateLimitChannelRpm
      const result = takeBoth(
        senders.get(senderKey) ?? fullBucket(userRpm, now),
        userRpm,
        channels.get(channelKey) ?? fullBucket(channelRpm, now),
        channelRpm,
        now
      )
      senders.set(senderKey, result.sender)
      channels.set(channelKey, result.channel)
      return result.allowed
    })

  /** How many buckets are held (sender + channel); for tests of the eviction bound. */
  const bucketCount = () => senders.size + channels.size

  return { ...RateLimiter.of({ take }), bucketCount }
})

export const RateLimiterMemory: Layer.Layer<RateLimiter, never, Settings> = Layer.effect(
  RateLimiter,
  Effect.map(makeRateLimiterMemory, ({ take }) => RateLimiter.of({ take }))
)
