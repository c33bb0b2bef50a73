import { Config, Effect, Option, Redacted } from "effect"
import { ConfigLoadError, malformed } from "./ConfigLoadError.js"
import { booleanWord, boundedInt, type IntSpec, httpUrlProblem, routePathProblem } from "./Parse.js"

/**
 * Readers over the current `ConfigProvider`. Every variable is read by its full name as one
 * path segment, so `ConfigProvider.fromEnv()`, `fromMap(map)` and `fromMap(map, { pathDelim: "_" })`
 * all see the same keys. Secrets are read with `Config.redacted` and stay `Redacted`.
 */

/** Log lines gathered while loading; never contain a secret value. */
export interface Notes {
  readonly warnings: Array<string>
  readonly info: Array<string>
}

export const makeNotes = (): Notes => ({ warnings: [], info: [] })

const unreadable = (variable: string) => () =>
  new ConfigLoadError({
    reason: "unreadable",
    variable,
    message: `${variable} could not be read from the configuration provider.`
  })

/** The raw value, untrimmed; `undefined` when unset. */
export const readRaw = (name: string): Effect.Effect<string | undefined, ConfigLoadError> =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.getOrUndefined),
    Effect.mapError(unreadable(name))
  )

/** The trimmed value; `undefined` when unset or blank. */
export const readText = (name: string): Effect.Effect<string | undefined, ConfigLoadError> =>
  readRaw(name).pipe(Effect.map((raw) => (raw === undefined || raw.trim() === "" ? undefined : raw.trim())))

/** A trimmed value with a default for unset or blank. */
export const readTextOr = (name: string, fallback: string): Effect.Effect<string, ConfigLoadError> =>
  readText(name).pipe(Effect.map((value) => value ?? fallback))

/** A secret: trimmed, blank counts as not configured (the reference's truthiness). */
export const readSecret = (name: string): Effect.Effect<Option.Option<Redacted.Redacted>, ConfigLoadError> =>
  Config.option(Config.redacted(name)).pipe(
    Effect.map(Option.flatMap((secret) => {
      const value = Redacted.value(secret).trim()
      return value === "" ? Option.none() : Option.some(Redacted.make(value))
    })),
    Effect.mapError(unreadable(name))
  )

/** A bounded integer with the reference's clamp-and-warn behaviour. */
export const readInt = (notes: Notes, name: string, spec: IntSpec): Effect.Effect<number, ConfigLoadError> =>
  readRaw(name).pipe(Effect.map((raw) => {
    const result = boundedInt(name, raw, spec)
    if (result.warning !== undefined) notes.warnings.push(result.warning)
    return result.value
  }))

/** A security-relevant switch: a boolean word or blank (the default); anything else stops startup. */
export const readStrictBoolean = (name: string, fallback: boolean): Effect.Effect<boolean, ConfigLoadError> =>
  Effect.flatMap(readText(name), (text) => {
    if (text === undefined) return Effect.succeed(fallback)
    const value = booleanWord(text)
    return value === undefined
      ? Effect.fail(malformed(name, "must be true or false (also accepted: 1/0, yes/no, on/off)."))
      : Effect.succeed(value)
  })

/**
 * A "true unless turned off" switch (`..._REQUIRE_MENTION`, `..._REPLY_IN_THREAD`). Unrecognised
 * words keep the safe default (on) with a warning, as the reference keeps it on.
 */
export const readDefaultOn = (notes: Notes, name: string): Effect.Effect<boolean, ConfigLoadError> =>
  Effect.map(readText(name), (text) => {
    if (text === undefined) return true
    const value = booleanWord(text)
    if (value === undefined) notes.warnings.push(`Connector env ${name} is not a boolean word; keeping it on.`)
    return value ?? true
  })

/** A mode switch: trimmed, lower-cased, one of `allowed` (the first is the default). */
export const readMode = <const M extends string>(
  name: string,
  allowed: readonly [M, ...Array<M>]
): Effect.Effect<M, ConfigLoadError> =>
  Effect.flatMap(readText(name), (text) => {
    if (text === undefined) return Effect.succeed(allowed[0])
    const mode = allowed.find((m) => m === text.toLowerCase())
    return mode === undefined
      ? Effect.fail(malformed(name, `must be one of: ${allowed.map((m) => `'${m}'`).join(", ")}.`))
      : Effect.succeed(mode)
  })

/** An absolute http(s) URL, trimmed; blank gives `fallback`. A value that does not parse stops startup. */
export const readUrl = (name: string, fallback: string): Effect.Effect<string, ConfigLoadError> =>
  Effect.map(readOptionalUrl(name), Option.getOrElse(() => fallback))

export const readOptionalUrl = (name: string): Effect.Effect<Option.Option<string>, ConfigLoadError> =>
  Effect.flatMap(readText(name), (text) => {
    if (text === undefined) return Effect.succeed(Option.none())
    const problem = httpUrlProblem(text)
    return problem === undefined ? Effect.succeed(Option.some(text)) : Effect.fail(malformed(name, problem))
  })

/** A route path (`/line/webhook`); blank gives the default. */
export const readPath = (name: string, fallback: string): Effect.Effect<string, ConfigLoadError> =>
  Effect.flatMap(readTextOr(name, fallback), (path) => {
    const problem = routePathProblem(path)
    return problem === undefined ? Effect.succeed(path) : Effect.fail(malformed(name, problem))
  })
