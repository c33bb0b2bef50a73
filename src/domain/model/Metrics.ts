import { Metric, MetricBoundaries, MetricKey, MetricLabel } from "effect"

/**
 * The connector's Prometheus metrics, defined once. The operator server renders the registry
 * snapshot as Prometheus text at /metrics.
 *
 * Labels are baked into each metric's key, once per label combination, instead of using
 * `Metric.tagged`: in effect 3 a tagged metric builds (and hashes) a new key on every update,
 * which is measurable on a per-message path.
 */
const labelled = <T extends Metric.Metric<any, any, any>>(make: (labels: ReadonlyArray<MetricLabel.MetricLabel>) => T) => {
  const cache = new Map<string, T>()
  return (...pairs: ReadonlyArray<readonly [string, string]>): T => {
    const id = pairs.map(([k, v]) => `${k}\u0000${v}`).join("\u0001")
    let metric = cache.get(id)
    if (metric === undefined) {
      metric = make(pairs.map(([k, v]) => MetricLabel.make(k, v)))
      cache.set(id, metric)
    }
    return metric
  }
}

const counterFamily = (name: string, description: string) => {
  const key = MetricKey.counter(name, { description, incremental: true })
  return labelled((labels) => Metric.fromMetricKey(MetricKey.taggedWithLabels(key, labels)))
}

const inboundFamily = counterFamily(
  "openclaw_connector_inbound_events_total",
  "Inbound platform events by platform and outcome"
)
const commandFamily = counterFamily("openclaw_connector_commands_total", "Commands by class and outcome")
const latencyKey = MetricKey.histogram(
  "openclaw_connector_backend_call_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120]),
  "Backend call latency by operation and outcome"
)
const latencyFamily = labelled((labels) => Metric.fromMetricKey(MetricKey.taggedWithLabels(latencyKey, labels)))

/**
 * Inbound platform events by `platform` and `outcome`: handled, duplicate, refused (store down),
 * malformed, error, and for signed webhooks unauthenticated, stale and ignored (not for the bot).
 */
export const inboundCounter = (platform: string, outcome: string) =>
  inboundFamily(["platform", platform], ["outcome", outcome])

/** Commands by `class` (public, run, admin, none) and `outcome` (ok, denied, rate_limited, error, usage, unknown). */
export const commandCounter = (commandClass: string, outcome: string) =>
  commandFamily(["class", commandClass], ["outcome", outcome])

/** Backend call latency in seconds by `operation` and `outcome` (ok, rejected, unreachable, malformed). */
export const backendLatency = (operation: string, outcome: string) =>
  latencyFamily(["operation", operation], ["outcome", outcome])
