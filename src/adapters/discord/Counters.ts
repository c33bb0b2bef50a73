import { Metric } from "effect"
import { inboundCounter } from "../../domain/model/Metrics.js"

/**
 * Inbound Discord events by how they ended: handled (a reply or refusal was produced), duplicate
 * (replayed message or repeated press), ignored (bots, chatter, foreign components), refused
 * (store down or overloaded: nothing ran) and error (a defect, or a press that could not be
 * acknowledged).
 */
const OUTCOMES = ["handled", "duplicate", "ignored", "refused", "error"] as const
export type DiscordOutcome = typeof OUTCOMES[number]

const counters = Object.fromEntries(OUTCOMES.map((o) => [o, inboundCounter("discord", o)])) as Record<
  DiscordOutcome,
  Metric.Metric.Counter<number>
>

export const count = (outcome: DiscordOutcome) => Metric.increment(counters[outcome])
