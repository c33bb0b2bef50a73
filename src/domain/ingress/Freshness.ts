/**
 * The freshness window of signed webhook events (LINE, WhatsApp, WeChat): an event older than
 * `pastSeconds` or more than `futureSeconds` ahead of our clock is refused, so a captured
 * delivery cannot be replayed once its replay claim could have expired.
 * The replay claim of an accepted event must therefore live at least `pastSeconds + futureSeconds`.
 */
export interface FreshnessWindow {
  readonly pastSeconds: number
  readonly futureSeconds: number
}

export const DEFAULT_FRESHNESS: FreshnessWindow = { pastSeconds: 300, futureSeconds: 60 }

export type Freshness = "fresh" | "stale" | "future"

/** `eventMillis` must be a finite number (adapters refuse anything else as malformed). */
export const freshnessOf = (nowMillis: number, eventMillis: number, window: FreshnessWindow = DEFAULT_FRESHNESS): Freshness => {
  const ageSeconds = (nowMillis - eventMillis) / 1000
  if (ageSeconds > window.pastSeconds) return "stale"
  if (ageSeconds < -window.futureSeconds) return "future"
  return "fresh"
}

/** How long a replay claim must live so no fresh-looking replay can outlive it. */
export const replayTtlMillisFor = (window: FreshnessWindow = DEFAULT_FRESHNESS): number =>
  (window.pastSeconds + window.futureSeconds) * 1000 * 2
