import { Effect, Stream } from "effect"
import type { HttpClientResponse } from "@effect/platform"
import { BackendError, type Json } from "../../ports/Backend.js"

/** Error texts shown to users are cut to this many characters. */
const MAX_ERROR_TEXT = 300
/** Error bodies larger than this are not read as text (the message falls back to `HTTP <status>`). */
const MAX_ERROR_BODY_BYTES = 64 * 1024

/** The reference's success rule: only these statuses count as success. */
export const isSuccessStatus = (status: number): boolean => status === 200 || status === 201 || status === 202

export const bound = (text: string): string =>
  text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}...` : text

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  if (text.trim() === "") return { ok: false }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/** A 2xx body: its JSON value, or `{}` when it is empty or not JSON (ComfyUI's empty interrupt reply). */
export const successJson = (text: string): Json => {
  const parsed = parseJson(text)
  return parsed.ok ? parsed.value : {}
}

/**
 * The reference wrapper's error text for a non-success answer (spec §1.2): a JSON object body
 * gives `error`, else `message`, else `HTTP <status>`; any other body gives
 * `HTTP <status>: <text>`, or `HTTP <status>` when there is no readable text.
 */
export const rejection = (status: number, text: string | undefined): BackendError => {
  const parsed = text === undefined ? { ok: false as const } : parseJson(text)
  if (parsed.ok && isRecord(parsed.value)) {
    const body = parsed.value
    const message = textOf(body["error"]) ?? textOf(body["message"]) ?? `HTTP ${status}`
    return new BackendError({ reason: "rejected", status, message: bound(message), body })
  }
  const raw = text?.trim() ?? ""
  const message = raw === "" ? `HTTP ${status}` : `HTTP ${status}: ${raw}`
  return new BackendError({ reason: "rejected", status, message: bound(message) })
}

/** Python's `a or b`: empty and false-like values fall through; a truthy non-string is shown as JSON. */
const textOf = (value: unknown): string | undefined => {
  if (typeof value === "string") return value === "" ? undefined : value
  if (value === undefined || value === null || value === false || value === 0) return undefined
  return JSON.stringify(value)
}

export const unreachable = (): BackendError =>
  new BackendError({ reason: "unreachable", message: "backend unreachable" })

export const timedOut = (): BackendError =>
  new BackendError({ reason: "unreachable", message: "backend timed out" })

export const invalidId = (what: string): BackendError =>
  new BackendError({ reason: "invalid-id", message: `invalid ${what}` })

/** The body's bytes, or `undefined` once more than `maxBytes` arrive (checked before and while reading). */
export const readBounded = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<Uint8Array | undefined, BackendError> => {
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBytes) return Effect.succeed(undefined)
  return response.stream.pipe(
    Stream.runFoldWhile(
      { size: 0, chunks: [] as Array<Uint8Array> },
      (acc) => acc.size <= maxBytes,
      (acc, chunk) => {
        acc.chunks.push(chunk)
        return { size: acc.size + chunk.length, chunks: acc.chunks }
      }
    ),
    Effect.map(({ chunks, size }) => (size > maxBytes ? undefined : concat(chunks, size))),
    Effect.mapError(unreachable)
  )
}

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number): Uint8Array => {
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const decoder = new TextDecoder()

/**
 * The bytes of a success answer (at most `maxBytes`, else `tooLarge`), or the rejection the
 * reference wrapper builds from an error answer's body.
 */
const successBytes = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  tooLarge: "malformed" | "rejected"
): Effect.Effect<Uint8Array, BackendError> =>
  Effect.gen(function*() {
    if (!isSuccessStatus(response.status)) {
      const bytes = yield* readBounded(response, MAX_ERROR_BODY_BYTES)
      return yield* rejection(response.status, bytes === undefined ? undefined : decoder.decode(bytes))
    }
    const bytes = yield* readBounded(response, maxBytes)
    if (bytes === undefined) {
      return yield* new BackendError({ reason: tooLarge, status: response.status, message: "response too large" })
    }
    return bytes
  })

/** The answer as the reference wrapper sees it: success JSON, or the rejection built from the body. */
export const readJson = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<Json, BackendError> =>
  Effect.map(successBytes(response, maxBytes, "malformed"), (bytes) => successJson(decoder.decode(bytes)))

/** Raw bytes of a success answer, refused as `rejected` above `maxBytes`. */
export const readBytes = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<Uint8Array, BackendError> => successBytes(response, maxBytes, "rejected")
