import { Metric } from "effect"
import { inboundCounter } from "../../domain/model/Metrics.js"

/**
 * Inbound Slack outcomes (`openclaw_connector_inbound_events_total{platform="slack"}`):
 * handled, duplicate (a message key already claimed: a retry, a redelivery or the
 * message/app_mention twin; or a lifecycle event already recorded), refused (replay store down),
 * malformed, unauthenticated (signature), stale (timestamp window), ignored (not for the bot:
 * bots, edits, chatter without a mention), unbound (no installation/token for the workspace:
 * nothing ran), lifecycle, error (defect).
 */
export const SLACK_OUTCOMES = [
  "handled", "duplicate", "refused", "malformed", "unauthenticated", "stale", "ignored", "unbound", "lifecycle", "error"
] as const
export type SlackOutcome = typeof SLACK_OUTCOMES[number]

const counters = Object.fromEntries(SLACK_OUTCOMES.map((o) => [o, inboundCounter("slack", o)])) as Record<
  SlackOutcome,
  Metric.Metric.Counter<number>
>

export const countSlack = (outcome: SlackOutcome) => Metric.increment(counters[outcome])
