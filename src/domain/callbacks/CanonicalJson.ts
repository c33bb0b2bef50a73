import { Either, Schema } from "effect"

/**
 * A callback payload that has no canonical form we can reproduce exactly.
 * - `float`: a non-integer number. Python renders floats with `repr` (`1.0`, `1e-05`), which a
 *   JavaScript number cannot reproduce (`1.0 === 1`), so floats are refused rather than hashed
 *   differently from the reference.
 * - `unsafe-integer`: an integer outside ±(2^53 − 1), whose digits JavaScript may already have lost.
 * - `unsupported-type`: anything that is not a string, boolean, null, safe integer, array or plain
 *   object of those (undefined, functions, symbols, bigint, Date, Map, NaN, Infinity...).
 * - `cycle`: an object that contains itself.
 * - `too-deep`: nesting deeper than `MAX_CANONICAL_DEPTH` (a button payload is flat; this bounds
 *   the recursion on hostile input).
 */
export class CanonicalJsonError extends Schema.TaggedError<CanonicalJsonError>()("CanonicalJsonError", {
  reason: Schema.Literal("float", "unsafe-integer", "unsupported-type", "cycle", "too-deep"),
  /** Where the offending value sits, e.g. `$.items[2].n`. */
  path: Schema.String
}) {}

export const MAX_CANONICAL_DEPTH = 32

const hex4 = (code: number): string => code.toString(16).padStart(4, "0")

/**
 * A JSON string literal as Python's `json.dumps(..., ensure_ascii=True)` writes it: `"` and `\`
 * escaped, `\n \r \t \b \f` short forms, every other character outside printable ASCII
 * (U+0020..U+007E) as lowercase `\uXXXX`, astral characters as their UTF-16 surrogate pair.
 * `/` is not escaped.
 */
export const pythonJsonString = (text: string): string => {
  let out = "\""
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const ch = text[i]!
    if (ch === "\"") out += "\\\""
    else if (ch === "\\") out += "\\\\"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch === "\b") out += "\\b"
    else if (ch === "\f") out += "\\f"
    else if (code < 0x20 || code > 0x7e) out += "\\u" + hex4(code)
    else out += ch
  }
  return out + "\""
}

/** Python orders `str` keys by code point; JavaScript's default sort uses UTF-16 units. */
export const compareCodePoints = (a: string, b: string): number => {
  const left = [...a]
  const right = [...b]
  const n = Math.min(left.length, right.length)
  for (let i = 0; i < n; i++) {
    const d = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!
    if (d !== 0) return d
  }
  return left.length - right.length
}

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const encode = (value: unknown, path: string, seen: Set<object>): string => {
  if (seen.size > MAX_CANONICAL_DEPTH) throw new CanonicalJsonError({ reason: "too-deep", path })
  if (value === null) return "null"
  if (value === true) return "true"
  if (value === false) return "false"
  if (typeof value === "string") return pythonJsonString(value)
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new CanonicalJsonError({ reason: "unsupported-type", path })
    if (!Number.isInteger(value)) throw new CanonicalJsonError({ reason: "float", path })
    if (!Number.isSafeInteger(value)) throw new CanonicalJsonError({ reason: "unsafe-integer", path })
    return String(value)
  }
  if (typeof value !== "object") throw new CanonicalJsonError({ reason: "unsupported-type", path })
  if (seen.has(value)) throw new CanonicalJsonError({ reason: "cycle", path })
  seen.add(value)
  let out: string
  if (Array.isArray(value)) {
    out = "[" + value.map((item, i) => encode(item, `${path}[${i}]`, seen)).join(",") + "]"
  } else if (isPlainObject(value)) {
    const keys = Object.keys(value).sort(compareCodePoints)
    out = "{" + keys.map((k) => pythonJsonString(k) + ":" + encode(value[k], `${path}.${k}`, seen)).join(",") + "}"
  } else {
    throw new CanonicalJsonError({ reason: "unsupported-type", path })
  }
  seen.delete(value)
  return out
}

/**
 * The canonical JSON of a callback payload, byte for byte what the reference computes with
 * `json.dumps(payload, sort_keys=True, separators=(",", ":"))`: keys sorted by code point, no
 * whitespace, ASCII-only output. Only strings, booleans, null, safe integers, arrays and plain
 * objects are accepted; floats and every other type are refused (see `CanonicalJsonError`).
 */
export const canonicalJson = (value: unknown): Either.Either<string, CanonicalJsonError> => {
  try {
    return Either.right(encode(value, "$", new Set()))
  } catch (error) {
    // Anything else thrown while reading the value (a hostile getter or proxy) is a refusal too.
    return Either.left(
      error instanceof CanonicalJsonError ? error : new CanonicalJsonError({ reason: "unsupported-type", path: "$" })
    )
  }
}
