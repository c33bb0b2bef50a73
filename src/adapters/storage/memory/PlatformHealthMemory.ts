import { Clock, Effect, Layer, Ref } from "effect"
import { type HealthRecord, PlatformHealth } from "../../../ports/PlatformHealth.js"

/** Health kept in process memory: it describes the running process's view, so a restart re-learns it. */
export const PlatformHealthMemory = Layer.effect(
  PlatformHealth,
  Effect.gen(function*() {
    const records = yield* Ref.make(new Map<string, HealthRecord>())
    return PlatformHealth.of({
      record: (platform, installation, state, detail) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(records, (map) => {
            const key = `${platform}\u0000${installation}`
            const previous = map.get(key)
            if (previous !== undefined && previous.state === state && previous.detail === detail) return map
            const next = new Map(map)
            next.set(key, { platform, installation, state, detail, updatedAtMillis: now })
            return next
          })),
      snapshot: Effect.map(Ref.get(records), (map) =>
        [...map.values()].sort((a, b) => a.platform.localeCompare(b.platform) || a.installation.localeCompare(b.installation)))
    })
  })
)
