import { Either } from "effect"

/**
 * The first step of decoding every JSON webhook (KakaoTalk, LINE, WhatsApp), after any signature
 * check: the raw bytes must be valid UTF-8, then JSON, then a JSON object. Each failure is a
 * bounded reason for a 400, never an exception (decisions.md: no input produces a 5xx).
 */
export type JsonBodyProblem = "invalid-utf8" | "bad-json" | "not-an-object"

const utf8 = new TextDecoder("utf-8", { fatal: true })

export const parseJsonObject = (body: Uint8Array): Either.Either<Record<string, unknown>, JsonBodyProblem> => {
  let text: string
  try {
    text = utf8.decode(body)
  } catch {
    return Either.left("invalid-utf8")
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // Syntax errors and, on absurd nesting, a RangeError alike: the body is not usable JSON.
    return Either.left("bad-json")
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return Either.left("not-an-object")
  return Either.right(json as Record<string, unknown>)
}

/** The plain-text body of the 400 answer (`Bad JSON` is the reference's text for a syntax error). */
export const jsonBodyProblemText = (problem: JsonBodyProblem): string => {
  switch (problem) {
    case "bad-json":
      return "Bad JSON"
    case "invalid-utf8":
      return "Bad Request: body is not valid UTF-8"
    case "not-an-object":
      return "Bad Request: expected a JSON object"
  }
}

/** A platform answer's body as JSON, or `undefined` when it is empty or not JSON (never throws). */
export const jsonOrUndefined = (text: string): unknown => {
  if (text === "") return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
