import type { SqlClient } from "@effect/sql"
import { Clock, Effect, Option } from "effect"
import type { PollCursor } from "../../../ports/PollCursor.js"
import { StoreError } from "../../../ports/StoreError.js"
import { refail } from "./sqlErrors.js"

/** `poll_cursors` rows; `advance` keeps the larger value in one statement (never moves back). */
export const makePollCursorSqlite = (sql: SqlClient.SqlClient): PollCursor["Type"] => ({
  read: (name) =>
    sql<{ readonly value: number }>`SELECT value FROM poll_cursors WHERE name = ${name}`.pipe(
      Effect.flatMap((rows) => {
        if (rows.length === 0) return Effect.succeed(Option.none<number>())
        const value = Number(rows[0]!.value)
        return Number.isSafeInteger(value)
          ? Effect.succeed(Option.some(value))
          : new StoreError({ reason: "corrupt", operation: "poll-cursor-read" })
      }),
      refail("poll-cursor-read")
    ),
  advance: (name, value) =>
    Number.isSafeInteger(value)
      ? Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sql`INSERT INTO poll_cursors (name, value, updated_at) VALUES (${name}, ${value}, ${now})
          ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
          WHERE excluded.value > poll_cursors.value`
      ).pipe(Effect.asVoid, refail("poll-cursor-advance"))
      : new StoreError({ reason: "invalid-key", operation: "poll-cursor-advance" })
})
