import { MetricState, Option } from "effect"
import type { MetricPair } from "effect"

/**
 * Renders Effect's metric registry as Prometheus text exposition format (version 0.0.4).
 * Counters, gauges and histograms are rendered; other kinds are left out.
 */
const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')

const labels = (tags: ReadonlyArray<{ key: string; value: string }>, extra: ReadonlyArray<[string, string]> = []): string => {
  const all = [...tags.map((t) => [t.key, t.value] as const), ...extra]
  return all.length === 0 ? "" : `{${all.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`
}

const num = (n: number | bigint): string =>
  typeof n === "bigint" ? n.toString() : Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"

interface Family {
  readonly type: "counter" | "gauge" | "histogram"
  readonly help: string
  readonly lines: Array<string>
}

const addPair = (families: Map<string, Family>, pair: MetricPair.MetricPair.Untyped): void => {
  const { name, tags, description } = pair.metricKey
  const state = pair.metricState
  const help = Option.getOrElse(description, () => name)
  const family = (type: Family["type"]): Family => {
    const existing = families.get(name)
    if (existing) return existing
    const created: Family = { type, help, lines: [] }
    families.set(name, created)
    return created
  }
  if (MetricState.isCounterState(state)) {
    family("counter").lines.push(`${name}${labels(tags)} ${num(state.count)}`)
  } else if (MetricState.isGaugeState(state)) {
    family("gauge").lines.push(`${name}${labels(tags)} ${num(state.value)}`)
  } else if (MetricState.isHistogramState(state)) {
    const f = family("histogram")
    // Effect's histogram buckets are cumulative counts per upper boundary.
    for (const [le, count] of state.buckets) {
      f.lines.push(`${name}_bucket${labels(tags, [["le", num(le)]])} ${num(count)}`)
    }
    if (!state.buckets.some(([le]) => le === Number.POSITIVE_INFINITY)) {
      f.lines.push(`${name}_bucket${labels(tags, [["le", "+Inf"]])} ${num(state.count)}`)
    }
    f.lines.push(`${name}_sum${labels(tags)} ${num(state.sum)}`)
    f.lines.push(`${name}_count${labels(tags)} ${num(state.count)}`)
  }
}

export const renderPrometheus = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const pair of pairs) addPair(families, pair)
  const out: Array<string> = []
  for (const [name, f] of [...families.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`# HELP ${name} ${f.help.replace(/\n/g, " ")}`, `# TYPE ${name} ${f.type}`, ...f.lines.sort())
  }
  return out.join("\n") + "\n"
}

