/**
 * Parsing primitives for environment values. Pure: each returns a value, a warning, or a
 * problem description; the loaders decide whether a problem is a warning (numeric tuning, as the
 * reference does) or a startup error (anything that matters for security).
 */

/** Python `repr()` of a string, for the reference's warning texts. */
export const pythonRepr = (s: string): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = ""
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (ch === "\\") out += "\\\\"
    else if (ch === quote) out += `\\${quote}`
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`
    else out += ch
  }
  return `${quote}${out}${quote}`
}

const INT_SYNTAX = /^[+-]?\p{Nd}+(?:_\p{Nd}+)*$/u
const DECIMAL_DIGIT = /^\p{Nd}$/u

/**
 * The value of a Unicode decimal digit. Unicode encodes every decimal digit set as a contiguous
 * run 0..9 (some runs are adjacent), so the value is the distance from the run start modulo 10.
 */
const digitValue = (cp: number): number => {
  let start = cp
  while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--
  return (cp - start) % 10
}

/**
 * Python's `int(str)`: surrounding whitespace, an optional sign, `_` between digits, and any
 * Unicode decimal digits. `1e3`, `0x10`, `12.0`, `1__0`, `_1` are not integers.
 */
export const parsePythonInt = (raw: string): bigint | undefined => {
  const s = raw.trim()
  if (!INT_SYNTAX.test(s)) return undefined
  let digits = ""
  for (const ch of s) {
    if (ch === "+" || ch === "_") continue
    digits += ch === "-" ? "-" : String(digitValue(ch.codePointAt(0)!))
  }
  return BigInt(digits)
}

export interface IntSpec {
  readonly default: number
  readonly min: number
  readonly max: number
  /** Tuning values clamp; ports fall back to the default (the reference's `clamp=False`). */
  readonly outOfRange: "clamp" | "default"
}

export interface IntResult {
  readonly value: number
  readonly warning?: string
}

/** The reference's `_load_bounded_int_env`, with its warning texts. */
export const boundedInt = (key: string, raw: string | undefined, spec: IntSpec): IntResult => {
  if (raw === undefined || raw.trim() === "") return { value: spec.default }
  const parsed = parsePythonInt(raw)
  if (parsed === undefined) {
    return {
      value: spec.default,
      warning: `Connector env ${key}=${pythonRepr(raw)} is not a valid integer; using default ${spec.default}.`
    }
  }
  const [below, above] = [parsed < BigInt(spec.min), parsed > BigInt(spec.max)]
  if (!below && !above) return { value: Number(parsed) }
  if (spec.outOfRange === "default") {
    return {
      value: spec.default,
      warning: `Connector env ${key}=${parsed} is outside supported range ${spec.min}..${spec.max}; ` +
        `using default ${spec.default}.`
    }
  }
  const bound = below ? spec.min : spec.max
  const side = below ? "below minimum" : "above maximum"
  return { value: bound, warning: `Connector env ${key}=${parsed} is ${side} ${bound}; clamped to ${bound}.` }
}

/** A tuning value: out of range clamps, with a warning. */
export const clampSpec = (fallback: number, min: number, max: number): IntSpec => ({
  default: fallback, min, max, outOfRange: "clamp"
})

/** A port: 1..65535, out of range falls back to the default, with a warning. */
export const portSpec = (port: number): IntSpec => ({ default: port, min: 1, max: 65535, outOfRange: "default" })

/** Comma list: split on `,`, trim each item, drop empty items. Unset or blank gives `[]`. */
export const commaList = (raw: string | undefined): Array<string> =>
  raw === undefined ? [] : raw.split(",").map((item) => item.trim()).filter((item) => item !== "")

const TRUE_WORDS = new Set(["1", "true", "yes", "on"])
const FALSE_WORDS = new Set(["0", "false", "no", "off"])

/** A boolean word (trimmed, any case); `undefined` when the value is not one. Blank is `undefined`. */
export const booleanWord = (raw: string): boolean | undefined => {
  const word = raw.trim().toLowerCase()
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined
}

/** Python `PurePath(p).suffix !== ""`: the last component has a dot neither first nor last. */
export const hasFileSuffix = (p: string): boolean => {
  const name = p.replace(/[\\/]+$/, "").split(/[\\/]/).pop() ?? ""
  const dot = name.lastIndexOf(".")
  return dot > 0 && dot < name.length - 1
}

/** `undefined` when `raw` is an absolute http(s) URL, else the problem. Never echoes the value. */
export const httpUrlProblem = (raw: string): string | undefined => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return "is not a valid URL."
  }
  return url.protocol === "http:" || url.protocol === "https:" ? undefined : "must be an http:// or https:// URL."
}

/** `undefined` when `raw` is a usable route path (`/x/y`), else the problem. */
export const routePathProblem = (raw: string): string | undefined =>
  /^\/[^\s?#]*$/.test(raw) ? undefined : "must be a path starting with '/' (no spaces, '?' or '#')."
