import { Effect, Layer, Option } from "effect"
import { PollCursor } from "../../../ports/PollCursor.js"

/** Cursors in a process-local map: the same contract as the SQLite table, for tests. */
export const PollCursorMemory: Layer.Layer<PollCursor> = Layer.sync(PollCursor, () => {
  const cursors = new Map<string, number>()
  return PollCursor.of({
    read: (name) => Effect.sync(() => Option.fromNullable(cursors.get(name))),
    advance: (name, value) =>
      Effect.sync(() => {
        const current = cursors.get(name)
        if (current === undefined || value > current) cursors.set(name, value)
      })
  })
})
