import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { mkdir } from "node:fs/promises"
import { basename, dirname, extname, join } from "node:path"
import { Clock, Context, Effect, Layer, Option, type Redacted } from "effect"
import { InstallationRegistrySqlite } from "../../installations/RegistrySqlite.js"
import { loadVaultKey } from "../../installations/SecretVault.js"
import { ButtonStore } from "../../../ports/ButtonStore.js"
import { InstallationRegistry } from "../../../ports/InstallationRegistry.js"
import { JobLedger } from "../../../ports/JobLedger.js"
import { PollCursor } from "../../../ports/PollCursor.js"
import { ReplayStore } from "../../../ports/ReplayStore.js"
import { StoreError } from "../../../ports/StoreError.js"
import { StoreProbe } from "../../../ports/StoreProbe.js"
import { makeButtonStoreSqlite } from "./ButtonStoreSqlite.js"
import { makeJobLedgerSqlite } from "./JobLedgerSqlite.js"
import { makePollCursorSqlite } from "./PollCursorSqlite.js"
import { makeReplayStoreSqlite } from "./ReplayStoreSqlite.js"
import { migrate } from "./sqliteMigrations.js"
import { fromCause, refail } from "./sqlErrors.js"

/** How long a statement waits for another process's write lock before failing as `unavailable`. */
const BUSY_TIMEOUT_MILLIS = 5000

const ensureParentDirectory = (filename: string) =>
  Effect.tryPromise({
    try: () => mkdir(dirname(filename), { recursive: true, mode: 0o700 }),
    catch: (cause) => new StoreError({ reason: "unavailable", operation: "open", cause })
  })

/** The SQLite client; a file that is not a database (or is a directory) fails here as a StoreError. */
const client = (filename: string) =>
  Layer.unwrapEffect(Effect.as(ensureParentDirectory(filename), SqliteClient.layer({ filename }))).pipe(
    Layer.catchAllCause((cause) => Layer.fail(fromCause("open")(cause)))
  )

const probe = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    yield* sql`INSERT INTO store_probe (id, touched_at) VALUES (1, ${now})
      ON CONFLICT (id) DO UPDATE SET touched_at = excluded.touched_at`
    yield* sql`SELECT touched_at FROM store_probe WHERE id = 1`
  }).pipe(refail("probe"))

/** `state/connector.sqlite` -> `state/connector.replay.sqlite`: the replay store's own file. */
export const replayFileFor = (filename: string): string =>
  join(dirname(filename), `${basename(filename, extname(filename))}.replay.sqlite`)

/** The installation registry's settings (src/adapters/installations). */
export interface InstallationStoreOptions {
  /** Where `vault.key` is created when there is no secret key; default: the database file's directory. */
  readonly stateDir?: string
  /** `OPENCLAW_CONNECTOR_SECRET_KEY`: the vault key is derived from it instead of the key file. */
  readonly secretKey?: Option.Option<Redacted.Redacted>
  /** `OPENCLAW_MULTI_TENANT_ENABLED`. */
  readonly multiTenant?: boolean
}

/** The registry over the same file; a vault key that cannot be loaded stops startup. */
const installationRegistry = (sql: SqlClient.SqlClient, filename: string, options: InstallationStoreOptions) =>
  Effect.gen(function*() {
    const vaultKey = yield* loadVaultKey({
      stateDir: options.stateDir ?? dirname(filename),
      secretKey: options.secretKey ?? Option.none()
    }).pipe(Effect.mapError((cause) =>
      new StoreError({ reason: cause.reason === "malformed" ? "corrupt" : "unavailable", operation: "vault-key", cause })
    ))
    return yield* InstallationRegistrySqlite.make(sql, vaultKey, { multiTenant: options.multiTenant ?? false }).pipe(
      Effect.mapError((cause) => new StoreError({ reason: "unavailable", operation: "installations", cause }))
    )
  })

const stores = (filename: string, installations: InstallationStoreOptions) => Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MILLIS}`)
  // WAL + NORMAL: a commit survives a crash of the process (the WAL is written before the call
  // returns) and only the last transactions can be lost on a power cut. FULL would fsync every
  // replay claim, capping webhook throughput at the disk's sync rate.
  yield* sql.unsafe("PRAGMA synchronous = NORMAL")
  yield* migrate.pipe(Effect.provideService(SqlClient.SqlClient, sql))
  const replayStore = yield* makeReplayStoreSqlite(replayFileFor(filename))
  const registry = yield* installationRegistry(sql, filename, installations)
  return Context.make(ReplayStore, replayStore).pipe(
    Context.add(JobLedger, makeJobLedgerSqlite(sql)),
    Context.add(PollCursor, makePollCursorSqlite(sql)),
    Context.add(ButtonStore, makeButtonStoreSqlite(sql)),
    Context.add(StoreProbe, { probe: probe(sql) }),
    Context.add(InstallationRegistry, registry)
  )
}).pipe(
  refail("migrate"),
  // A failing migration is a defect inside the Migrator; it still means "storage unavailable".
  Effect.catchAllDefect((defect) => new StoreError({ reason: "unavailable", operation: "migrate", cause: defect }))
)

/**
 * Every storage port in embedded SQLite (WAL journal, synchronous NORMAL, busy timeout): the replay
 * store in `<name>.replay.sqlite` beside `filename` (ReplayStoreSqlite.ts says why), everything else in
 * `filename`. Creates the parent directory and migrates the schema on start; any failure to open
 * or migrate is a `StoreError`. The installation registry (and its secret vault) lives in `filename`
 * too; its `vault.key` is loaded or created here (see `InstallationStoreOptions`).
 */
export const SqliteStorage = {
  layer: (options: {
    readonly filename: string
    readonly installations?: InstallationStoreOptions
  }): Layer.Layer<ReplayStore | JobLedger | PollCursor | ButtonStore | StoreProbe | InstallationRegistry, StoreError> =>
    Layer.scopedContext(stores(options.filename, options.installations ?? {})).pipe(Layer.provide(client(options.filename)))
}
