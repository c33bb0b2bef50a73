/**
 * Token-bucket arithmetic for request budgets (domain-core §12), pure over timestamps.
 * A bucket starts full (`capacity = rpm`), refills continuously at `rpm / 60` tokens per second
 * (fractional), never above capacity, and a request needs one whole token.
 *
 * Budgets are kept in integer units of 1/60000 token, so one millisecond adds exactly `rpm` units
 * and one token is 60000 units: no floating-point drift decides an admission.
 */
export interface Bucket {
  readonly units: number
  /** When `units` was last brought up to date. */
  readonly atMillis: number
}

export const UNITS_PER_TOKEN = 60_000

export const tokensOf = (bucket: Bucket): number => bucket.units / UNITS_PER_TOKEN

export const fullBucket = (rpm: number, nowMillis: number): Bucket => ({ units: rpm * UNITS_PER_TOKEN, atMillis: nowMillis })

/** The bucket brought up to `nowMillis`; a clock that went backwards refills nothing. */
export const refill = (bucket: Bucket, rpm: number, nowMillis: number): Bucket => {
  const elapsedMillis = Math.max(0, nowMillis - bucket.atMillis)
  return {
    units: Math.min(rpm * UNITS_PER_TOKEN, bucket.units + elapsedMillis * rpm),
    atMillis: Math.max(bucket.atMillis, nowMillis)
  }
}

export const hasToken = (bucket: Bucket): boolean => bucket.units >= UNITS_PER_TOKEN

export const consume = (bucket: Bucket): Bucket => ({ ...bucket, units: bucket.units - UNITS_PER_TOKEN })

/**
 * Admits one request against two buckets at once: both must have a token, and a denial takes
 * nothing from either (the reference drained the other bucket on a denial). Buckets are returned
 * refilled to `nowMillis` either way.
 */
export const takeBoth = (
  sender: Bucket,
  senderRpm: number,
  channel: Bucket,
  channelRpm: number,
  nowMillis: number
): { readonly allowed: boolean; readonly sender: Bucket; readonly channel: Bucket } => {
  const s = refill(sender, senderRpm, nowMillis)
  const c = refill(channel, channelRpm, nowMillis)
  return hasToken(s) && hasToken(c)
    ? { allowed: true, sender: consume(s), channel: consume(c) }
    : { allowed: false, sender: s, channel: c }
}
