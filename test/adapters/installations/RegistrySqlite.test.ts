import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { describe, expect, it } from "@effect/vitest"
import { readdir, readFile, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Cause, Effect, Exit, Layer, Option, Redacted } from "effect"
import { VAULT_KEY_FILE } from "../../../src/adapters/installations/SecretVault.js"
import { SqliteStorage } from "../../../src/adapters/storage/sqlite/SqliteStorage.js"
import { InstallationRegistry } from "../../../src/ports/InstallationRegistry.js"
import { tempDir } from "../storage/tempSqlite.js"
import { registryContract, slackInstall } from "./registryContract.js"
import { registryTenancyContract } from "./registryTenancy.js"

const sqliteRegistry = (options: { readonly multiTenant: boolean }) =>
  Layer.unwrapScoped(Effect.map(tempDir, (dir) =>
    SqliteStorage.layer({ filename: join(dir, "connector.sqlite"), installations: { multiTenant: options.multiTenant } })))

registryContract("sqlite", sqliteRegistry)
registryTenancyContract("sqlite", sqliteRegistry)

interface Open {
  readonly secretKey?: string
  readonly multiTenant?: boolean
}

/** Run `effect` against the registry in `<dir>/connector.sqlite`, closing the database afterwards (a "process"). */
const withRegistry = <A, E>(dir: string, effect: Effect.Effect<A, E, InstallationRegistry>, open: Open = {}) =>
  Effect.provide(
    effect,
    SqliteStorage.layer({
      filename: join(dir, "connector.sqlite"),
      installations: {
        secretKey: open.secretKey === undefined ? Option.none() : Option.some(Redacted.make(open.secretKey)),
        multiTenant: open.multiTenant ?? false
      }
    })
  )

/** Raw SQL on the same file, as another process (or an attacker with the disk) would see it. */
const withRawSql = <A, E>(dir: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
  Effect.provide(Effect.flatMap(SqlClient.SqlClient, f), SqliteClient.layer({ filename: join(dir, "connector.sqlite") }))

/** Every byte of the state directory's database files, as text (to look for plaintext tokens). */
const databaseBytes = (dir: string) =>
  Effect.promise(async () => {
    const names = (await readdir(dir)).filter((n) => n.startsWith("connector.sqlite"))
    const parts = await Promise.all(names.map((n) => readFile(join(dir, n))))
    return Buffer.concat(parts).toString("latin1")
  })

const registry = InstallationRegistry

describe("InstallationRegistry sqlite", () => {
  it.scoped("survives a restart: records, health, audit and secrets; no token in clear on disk", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        yield* r.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-abc" }, metadata: { bot_user_id: "U1" } }))
        yield* r.upsert(slackInstall("T2", { tokens: { bot_token: "xoxb-secret" }, status: "created" }))
        yield* r.recordHealth("slack:T1", "degraded", "ratelimited")
      }))
      const bytes = yield* databaseBytes(dir)
      expect(bytes).toContain("connector_installation:slack:T1:bot_token")
      expect(bytes).not.toContain("xoxb-abc")
      expect(bytes).not.toContain("xoxb-secret")
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        const t1 = Option.getOrThrow(yield* r.get("slack:T1"))
        expect(t1.metadata).toEqual({ bot_user_id: "U1" })
        expect(Option.map(t1.health, (h) => [h.state, h.reason])).toEqual(Option.some(["degraded", "ratelimited"]))
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ ok: true, healthCode: "degraded", tokens: { bot_token: "xoxb-abc" } })
        expect(yield* r.resolve("slack", "T2")).toMatchObject({ rejectReason: "inactive_binding" })
        expect((yield* r.audit({ limit: 500 })).map((e) => e.action)).toEqual(["upsert", "upsert", "health_update"])
      }))
    }))

  it.scoped("two registries over one file see each other's writes at once (reference bug 26 fixed)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = join(dir, "connector.sqlite")
      const a = yield* Layer.build(SqliteStorage.layer({ filename }))
      const b = yield* Layer.build(SqliteStorage.layer({ filename }))
      const ra = Effect.runSync(Effect.provide(registry, Layer.succeedContext(a)))
      const rb = Effect.runSync(Effect.provide(registry, Layer.succeedContext(b)))
      yield* ra.upsert(slackInstall("T1", { tokens: { bot_token: "xoxb-a" } }))
      yield* rb.upsert({ platform: "feishu", workspaceId: "tenant-1", installationId: "feishu:acct", tokens: { app_secret: "sec" }, status: "active" })
      yield* rb.recordHealth("feishu:acct", "degraded", "x")
      expect((yield* ra.list()).map((i) => i.installationId)).toEqual(["feishu:acct", "slack:T1"])
      expect(yield* rb.resolve("slack", "T1")).toMatchObject({ ok: true, tokens: { bot_token: "xoxb-a" } })
      expect(yield* ra.resolve("feishu", "tenant-1")).toMatchObject({ ok: true, tokens: { app_secret: "sec" } })
    }))

  it.scoped("creates vault.key (0600) beside the database once; a malformed key file stops startup", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withRegistry(dir, Effect.flatMap(registry, (r) => r.upsert(slackInstall("T1"))))
      const key = join(dir, VAULT_KEY_FILE)
      expect(((yield* Effect.promise(() => stat(key))).mode & 0o777)).toBe(0o600)
      yield* Effect.promise(() => writeFile(key, "garbage\n"))
      const exit = yield* Effect.exit(withRegistry(dir, registry))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        expect(Cause.isDie(exit.cause)).toBe(false)
        const failure = Option.getOrThrow(Cause.failureOption(exit.cause))
        expect([failure._tag, failure.reason, failure.operation]).toEqual(["StoreError", "corrupt", "vault-key"])
      }
    }))

  it.scoped("a changed secret key makes stored secrets count as missing (fail closed), never garbage", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withRegistry(dir, Effect.flatMap(registry, (r) => r.upsert(slackInstall("T1"))), { secretKey: "first-key" })
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ rejectReason: "stale_token_ref:bot_token" })
      }), { secretKey: "second-key" })
      // Same for the key file instead of the secret key.
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ rejectReason: "stale_token_ref:bot_token" })
      }))
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ ok: true, tokens: { bot_token: "xoxb-T1" } })
      }), { secretKey: "first-key" })
    }))

  it.scoped("tampered ciphertext, a swapped secret or a moved row resolves as stale_token_ref", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        yield* r.upsert(slackInstall("T1"))
        yield* r.upsert(slackInstall("T2"))
        yield* r.upsert(slackInstall("T3"))
      }))
      yield* withRawSql(dir, (sql) =>
        Effect.gen(function*() {
          const rows = yield* sql<{ ref: string; ciphertext: string }>`SELECT ref, ciphertext FROM installation_secrets ORDER BY ref`
          const [t1, t2] = rows
          const bytes = Buffer.from(t1!.ciphertext, "base64")
          bytes[0] = bytes[0]! ^ 1
          yield* sql`UPDATE installation_secrets SET ciphertext = ${bytes.toString("base64")} WHERE ref = ${t1!.ref}`
          // T2's row now holds T3's sealed value: authentic bytes, wrong ref (AAD).
          yield* sql`UPDATE installation_secrets SET (nonce, ciphertext) =
            (SELECT nonce, ciphertext FROM installation_secrets WHERE ref = 'connector_installation:slack:T3:bot_token')
            WHERE ref = ${t2!.ref}`
          // T3's row moved to another tenant.
          yield* sql`UPDATE installation_secrets SET tenant_id = 'acme' WHERE ref = 'connector_installation:slack:T3:bot_token'`
        }))
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        for (const team of ["T1", "T2", "T3"]) {
          expect(yield* r.resolve("slack", team)).toMatchObject({ ok: false, rejectReason: "stale_token_ref:bot_token" })
        }
      }))
    }))

  it.scoped("multi-tenant: a record moved to another tenant keeps its secret (re-sealed)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* withRegistry(dir, Effect.gen(function*() {
        const r = yield* registry
        yield* r.upsert(slackInstall("T1"))
        yield* r.upsert({ platform: "slack", workspaceId: "T1", installationId: "slack:T1", tenantId: "acme" })
        expect(yield* r.resolve("slack", "T1", "acme")).toMatchObject({ ok: true, tokens: { bot_token: "xoxb-T1" } })
        expect(yield* r.resolve("slack", "T1")).toMatchObject({ rejectReason: "tenant_mismatch" })
      }), { multiTenant: true })
      const tenants = yield* withRawSql(dir, (sql) => sql<{ tenant_id: string }>`SELECT tenant_id FROM installation_secrets`)
      expect(tenants.map((t) => t.tenant_id)).toEqual(["acme"])
    }))
})
