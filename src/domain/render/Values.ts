/**
 * Reading untyped backend JSON and rendering it into chat text without language-specific reprs:
 * absent, null and empty values show as `unknown`; objects and arrays as JSON.
 */

export type JsonRecord = Readonly<Record<string, unknown>>

export const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `value[key]` when `value` is an object, else undefined. */
export const field = (value: unknown, key: string): unknown =>
  isRecord(value) && Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined

export const hasField = (value: unknown, key: string): boolean =>
  isRecord(value) && Object.prototype.hasOwnProperty.call(value, key)

/** A non-empty string, else undefined. */
export const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined

/** Python-like truthiness for flags the backend sends (`pending`, `enabled`). */
export const truthy = (value: unknown): boolean => {
  if (Array.isArray(value)) return value.length > 0
  if (isRecord(value)) return Object.keys(value).length > 0
  return Boolean(value)
}

/** One value as chat text: `unknown` when missing, null or empty; JSON for structures. */
export const display = (value: unknown): string => {
  if (value === undefined || value === null || value === "") return "unknown"
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value)
  try {
    return JSON.stringify(value) ?? "unknown"
  } catch {
    return "unknown"
  }
}

/** Counts default to 0 when missing (the reference's `.get(k, 0)`), else render as `display`. */
export const displayCount = (value: unknown): string =>
  value === undefined || value === null ? "0" : display(value)

/**
 * JSON text bounded to `max` code points; `...` is appended only when something was cut.
 * Unserialisable values (cycles cannot come from parsed JSON, but be safe) render as `unknown`.
 */
export const boundedJson = (value: unknown, max: number): string => {
  let text: string
  try {
    text = JSON.stringify(value) ?? "null"
  } catch {
    return "unknown"
  }
  const points = Array.from(text)
  return points.length > max ? `${points.slice(0, max).join("")}...` : text
}
