import { Effect, Either } from "effect"
import { Backend } from "../../ports/Backend.js"

/**
 * Startup messages: configuration warnings and notes (clamped values, the security banner,
 * platforms that are off and why), then a one-time backend health probe that is informative
 * only: a connector may start before ComfyUI does.
 */
export const announce = (warnings: ReadonlyArray<string>, info: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    for (const line of info) yield* Effect.logInfo(line)
    for (const line of warnings) yield* Effect.logWarning(line)
  })

export const probeBackend = Effect.gen(function*() {
  const backend = yield* Backend
  const result = yield* Effect.either(backend.health)
  if (Either.isRight(result)) return yield* Effect.logInfo("ComfyUI connection verified.")
  return yield* Effect.logWarning(`ComfyUI connection check failed (${result.left.reason}): ${result.left.message}`)
})

/** Platforms whose adapter this build serves; the others are configured-but-not-served. */
const SERVED = new Set(["kakao", "line", "whatsapp", "wechat", "discord", "telegram", "slack"])

/**
 * A platform that is configured (its variables are read and validated) but whose adapter is not
 * in this build is named at startup, so its silence is never a mystery.
 */
export const unservedPlatforms = (enabled: Readonly<Record<string, boolean>>): ReadonlyArray<string> =>
  Object.entries(enabled).filter(([name, on]) => on && !SERVED.has(name)).map(([name]) => name)

export const warnUnserved = (names: ReadonlyArray<string>) =>
  Effect.forEach(names, (name) =>
    Effect.logWarning(
      `${name} is configured, but this build does not include the ${name} adapter yet: its messages are not handled.`
    ), { discard: true })
