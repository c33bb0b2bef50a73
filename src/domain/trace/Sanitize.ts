import { isRecord } from "../render/Values.js"

/**
 * Removes reasoning and internal content from an operator payload before it is shown in chat
 * (domain-core §8.8, the reference's `sanitize_operator_payload` in its default posture). Built in,
 * so it cannot silently become the identity as the reference's optional import could.
 */

const REASONING_KEYS = new Set([
  "analysis",
  "analysis_text",
  "chain_of_thought",
  "cot",
  "internal_reasoning",
  "reasoning",
  "reasoning_content",
  "reasoning_text",
  "thinking",
  "thinking_text",
  "thought",
  "thoughts"
])

const REASONING_TYPES = new Set(["analysis", "reasoning", "reasoning_content", "thinking", "thought"])

/** Trimmed, lower-cased, `-` and space turned into `_`. */
const normalise = (name: string): string => name.trim().toLowerCase().replace(/[- ]/g, "_")

const isReasoningKey = (key: string): boolean => {
  const k = normalise(key)
  return REASONING_KEYS.has(k) || k.endsWith("_reasoning") || k.endsWith("_thinking")
}

/** A map that must disappear entirely: an internal-content marker or a reasoning-typed block. */
const isDroppedMap = (value: unknown): boolean =>
  isRecord(value) &&
  (value["openclaw_internal"] === true ||
    value["origin"] === "openclaw.internal_maintenance" ||
    (typeof value["type"] === "string" && REASONING_TYPES.has(normalise(value["type"]))))

const DROP = Symbol("drop")

const clean = (value: unknown): unknown => {
  if (Array.isArray(value)) {
    return value.map(clean).filter((item) => item !== DROP)
  }
  if (isRecord(value)) {
    if (isDroppedMap(value)) return DROP
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) {
      if (isReasoningKey(key)) continue
      const cleaned = clean(inner)
      if (cleaned !== DROP) Object.defineProperty(out, key, { value: cleaned, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return value
}

/** The payload without reasoning or internal content; a dropped root becomes `{}`. */
export const sanitizeOperatorPayload = (payload: unknown): unknown => {
  const cleaned = clean(payload)
  return cleaned === DROP ? {} : cleaned
}
