import { Context, type Effect, type Option } from "effect"
import type { StoreError } from "./StoreError.js"

/**
 * Durable cursors of polling platforms (Telegram's `getUpdates` offset), by name. A cursor only
 * moves forward: `advance` to a value at or below the stored one is a no-op, so a late or
 * repeated write can never make an update be fetched again after a restart.
 */
export class PollCursor extends Context.Tag("ports/PollCursor")<PollCursor, {
  /** The stored value, or none when this cursor was never advanced. */
  readonly read: (name: string) => Effect.Effect<Option.Option<number>, StoreError>
  readonly advance: (name: string, value: number) => Effect.Effect<void, StoreError>
}>() {}
