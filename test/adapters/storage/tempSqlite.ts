import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { SqliteStorage } from "../../../src/adapters/storage/sqlite/SqliteStorage.js"

/** A fresh temporary directory for each use, removed when the scope that built it closes. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "openclaw-store-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

/** SqliteStorage on a new file under os.tmpdir() each time it is provided; the file is removed after. */
export const tempSqliteStorage = (file = "state/connector.db") =>
  Layer.unwrapScoped(Effect.map(tempDir, (dir) => SqliteStorage.layer({ filename: join(dir, file) })))
