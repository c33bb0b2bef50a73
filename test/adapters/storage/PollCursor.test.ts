import { describe, expect, it } from "@effect/vitest"
import { join } from "node:path"
import { Effect, FastCheck as fc, type Layer, Option } from "effect"
import { PollCursorMemory } from "../../../src/adapters/storage/memory/PollCursorMemory.js"
import { SqliteStorage } from "../../../src/adapters/storage/sqlite/SqliteStorage.js"
import { PollCursor } from "../../../src/ports/PollCursor.js"
import { tempDir, tempSqliteStorage } from "./tempSqlite.js"

const contract = (name: string, layer: () => Layer.Layer<PollCursor, unknown>) =>
  describe(`PollCursor (${name})`, () => {
    it.effect("an unknown cursor reads as none", () =>
      Effect.gen(function*() {
        const cursors = yield* PollCursor
        expect(yield* cursors.read("telegram:1")).toEqual(Option.none())
      }).pipe(Effect.provide(layer())))

    it.effect("advance keeps the largest value and cursors are independent", () =>
      Effect.gen(function*() {
        const cursors = yield* PollCursor
        yield* cursors.advance("a", 10)
        yield* cursors.advance("a", 7)
        yield* cursors.advance("b", 3)
        expect(yield* cursors.read("a")).toEqual(Option.some(10))
        expect(yield* cursors.read("b")).toEqual(Option.some(3))
      }).pipe(Effect.provide(layer())))

    it.effect("for any sequence of advances the cursor ends at their maximum", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 20 }), (values) =>
            Effect.runPromise(
              Effect.gen(function*() {
                const cursors = yield* PollCursor
                for (const v of values) yield* cursors.advance("c", v)
                expect(yield* cursors.read("c")).toEqual(Option.some(Math.max(...values)))
              }).pipe(Effect.provide(layer()), Effect.scoped)
            )),
          { numRuns: name === "memory" ? 100 : 15 }
        )
      ))
  })

contract("memory", () => PollCursorMemory)
contract("sqlite", () => tempSqliteStorage())

describe("PollCursor (sqlite) durability", () => {
  it.scoped("a cursor survives a restart of the store", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "connector.db")
      const run = <A, E>(effect: Effect.Effect<A, E, PollCursor>) =>
        Effect.provide(effect, SqliteStorage.layer({ filename }))
      yield* run(Effect.flatMap(PollCursor, (c) => c.advance("telegram:42", 1001)))
      expect(yield* run(Effect.flatMap(PollCursor, (c) => c.read("telegram:42")))).toEqual(Option.some(1001))
    }))
})
