import { Context, Effect } from "effect"

/**
 * Per-sender and per-channel request budgets (token buckets: capacity = rpm, refill rpm/60 per s).
 * Keys are platform-qualified (`kakao:u1`). A message is admitted only when both budgets have a
 * token, and a denied message consumes nothing from either. Idle buckets are evicted.
 */
export class RateLimiter extends Context.Tag("ports/RateLimiter")<RateLimiter, {
  readonly take: (senderKey: string, channelKey: string) => Effect.Effect<boolean>
}>() {}
