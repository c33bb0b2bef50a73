import { Clock, Effect, Layer, Option } from "effect"
import { ButtonStore, type StoredButton } from "../../../ports/ButtonStore.js"

/**
 * Stored buttons in a process-local map. An expired entry is never returned (`get` answers none
 * for it); expired entries are removed from the map when a new button is put.
 */
export const ButtonStoreMemory: Layer.Layer<ButtonStore> = Layer.sync(ButtonStore, () => {
  const buttons = new Map<string, { readonly button: StoredButton; readonly expiresAt: number }>()
  return ButtonStore.of({
    put: (requestId, button, ttlMillis) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        for (const [id, entry] of buttons) if (entry.expiresAt <= now) buttons.delete(id)
        buttons.set(requestId, { button, expiresAt: now + ttlMillis })
      }),
    get: (requestId) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const entry = buttons.get(requestId)
        return entry !== undefined && entry.expiresAt > now ? Option.some(entry.button) : Option.none()
      })
  })
})
