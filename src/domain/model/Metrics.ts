import { Metric, MetricBoundaries } from "effect"

/**
 * The connector's Prometheus metrics, defined once. Domain and adapters update them with
 * `Metric.increment(Metric.tagged(m, k, v))` / `Metric.trackDuration`; the operator server
 * renders the registry snapshot as Prometheus text at /metrics.
 */

/** Inbound platform events by `platform` and `outcome` (handled, duplicate, refused, rejected, malformed). */
export const inboundEvents = Metric.counter("openclaw_connector_inbound_events_total", {
  description: "Inbound platform events by platform and outcome",
  incremental: true
})

/** Commands by `class` (public, run, admin, none) and `outcome` (ok, denied, rate_limited, error, usage, unknown). */
export const commandsHandled = Metric.counter("openclaw_connector_commands_total", {
  description: "Commands by class and outcome",
  incremental: true
})

/** Backend call latency in seconds by `operation` and `outcome` (ok, rejected, unreachable, malformed). */
export const backendLatency = Metric.histogram(
  "openclaw_connector_backend_call_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120]),
  "Backend call latency by operation and outcome"
)

/**
 * `Metric.tagged` builds a new metric key (and hashes it) on every call; on a per-message path
 * that is measurable. Tagged instances are built once per tag combination and reused.
 */
const commandCounters = new Map<string, Metric.Metric.Counter<number>>()

export const commandCounter = (commandClass: string, outcome: string): Metric.Metric.Counter<number> => {
  const key = `${commandClass}\u0000${outcome}`
  let counter = commandCounters.get(key)
  if (counter === undefined) {
    counter = Metric.tagged(Metric.tagged(commandsHandled, "class", commandClass), "outcome", outcome)
    commandCounters.set(key, counter)
  }
  return counter
}
