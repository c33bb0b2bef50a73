import type { SqlClient, SqlError } from "@effect/sql"
import { Clock, Effect, Option, type ParseResult, type Redacted, Schema } from "effect"
import {
  type AuditEvent,
  INSTALLATION_STATUSES,
  type Installation,
  type InstallationRegistry,
  RegistryError
} from "../../ports/InstallationRegistry.js"
import { makeInstallationRegistry, type RegistryOptions } from "./Registry.js"
import { AUDIT_CAP, type RegistryBackend } from "./RegistryBackend.js"
import { makeSecretVault } from "./SecretVault.js"

/**
 * The registry in the connector's SQLite file (tables of migration `6_installations`):
 * `installations` (one row per installation id), `installation_secrets` (sealed values keyed by
 * tenant and ref; never plaintext) and `installation_audit` (the newest AUDIT_CAP events).
 * Every read goes to the database, so any number of registry objects over one file agree.
 */

const StringRecord = Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.String }))
const Details = Schema.parseJson(
  Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean) })
)

const InstallationRow = Schema.Struct({
  installation_id: Schema.String,
  platform: Schema.String,
  tenant_id: Schema.String,
  workspace_id: Schema.String,
  token_refs: StringRecord,
  status: Schema.Literal(...INSTALLATION_STATUSES),
  status_reason: Schema.String,
  metadata: StringRecord,
  health_state: Schema.NullOr(Schema.String),
  health_reason: Schema.NullOr(Schema.String),
  health_updated_at: Schema.NullOr(Schema.Number),
  created_at: Schema.Number,
  updated_at: Schema.Number
})

const AuditRow = Schema.Struct({
  at: Schema.Number,
  action: Schema.String,
  installation_id: Schema.String,
  platform: Schema.String,
  tenant_id: Schema.String,
  workspace_id: Schema.String,
  status: Schema.String,
  details: Details
})

const SecretRow = Schema.Struct({ tenant_id: Schema.String, ref: Schema.String, nonce: Schema.String, ciphertext: Schema.String })

const decodeInstallations = Schema.decodeUnknown(Schema.Array(InstallationRow))
const decodeAudit = Schema.decodeUnknown(Schema.Array(AuditRow))
const decodeSecrets = Schema.decodeUnknown(Schema.Array(SecretRow))

const toInstallation = (row: typeof InstallationRow.Type): Installation => ({
  platform: row.platform,
  tenantId: row.tenant_id,
  workspaceId: row.workspace_id,
  installationId: row.installation_id,
  tokenRefs: row.token_refs,
  status: row.status,
  statusReason: row.status_reason,
  metadata: row.metadata,
  health: row.health_state === null
    ? Option.none()
    : Option.some({ state: row.health_state, reason: row.health_reason ?? "", updatedAtMillis: row.health_updated_at ?? 0 }),
  createdAtMillis: row.created_at,
  updatedAtMillis: row.updated_at
})

/** SQL failures are `unavailable`; rows that do not decode are reported as corrupt (never guessed at). */
const refail = (operation: string) => <A, R>(effect: Effect.Effect<A, SqlError.SqlError | RegistryError | ParseResult.ParseError, R>) =>
  Effect.mapError(effect, (error) =>
    error._tag === "RegistryError"
      ? error
      : new RegistryError({
        reason: "unavailable",
        message: error._tag === "ParseError" ? `installation store corrupt (${operation})` : `installation store unavailable (${operation})`
      }))

export const makeSqliteBackend = (sql: SqlClient.SqlClient): RegistryBackend => {
  const installations = (rows: ReadonlyArray<unknown>) => Effect.map(decodeInstallations(rows), (rs) => rs.map(toInstallation))
  return {
    find: (id) =>
      sql`SELECT * FROM installations WHERE installation_id = ${id}`.pipe(
        Effect.flatMap(installations),
        Effect.map((rs) => Option.fromNullable(rs[0])),
        refail("find")
      ),
    byWorkspace: (platform, workspaceId) =>
      sql`SELECT * FROM installations WHERE platform = ${platform} AND workspace_id = ${workspaceId}`.pipe(
        Effect.flatMap(installations),
        refail("resolve")
      ),
    all: sql`SELECT * FROM installations`.pipe(Effect.flatMap(installations), refail("list")),
    save: (r) => {
      const health = Option.getOrUndefined(r.health)
      return sql`INSERT INTO installations (installation_id, platform, tenant_id, workspace_id, token_refs, status,
          status_reason, metadata, health_state, health_reason, health_updated_at, created_at, updated_at)
        VALUES (${r.installationId}, ${r.platform}, ${r.tenantId}, ${r.workspaceId}, ${JSON.stringify(r.tokenRefs)},
          ${r.status}, ${r.statusReason}, ${JSON.stringify(r.metadata)}, ${health?.state ?? null}, ${health?.reason ?? null},
          ${health?.updatedAtMillis ?? null}, ${r.createdAtMillis}, ${r.updatedAtMillis})
        ON CONFLICT (installation_id) DO UPDATE SET platform = excluded.platform, tenant_id = excluded.tenant_id,
          workspace_id = excluded.workspace_id, token_refs = excluded.token_refs, status = excluded.status,
          status_reason = excluded.status_reason, metadata = excluded.metadata, health_state = excluded.health_state,
          health_reason = excluded.health_reason, health_updated_at = excluded.health_updated_at,
          created_at = excluded.created_at, updated_at = excluded.updated_at`.pipe(Effect.asVoid, refail("save"))
    },
    readSecret: (tenantId, ref) =>
      sql`SELECT tenant_id, ref, nonce, ciphertext FROM installation_secrets WHERE tenant_id = ${tenantId} AND ref = ${ref}`.pipe(
        Effect.flatMap(decodeSecrets),
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), (row) => ({ nonce: row.nonce, ciphertext: row.ciphertext }))),
        refail("secret-read")
      ),
    writeSecret: (tenantId, ref, sealed) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sql`INSERT INTO installation_secrets (tenant_id, ref, nonce, ciphertext, updated_at)
          VALUES (${tenantId}, ${ref}, ${sealed.nonce}, ${sealed.ciphertext}, ${now})
          ON CONFLICT (tenant_id, ref) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,
            updated_at = excluded.updated_at`).pipe(Effect.asVoid, refail("secret-write")),
    eraseSecret: (tenantId, ref) =>
      sql`DELETE FROM installation_secrets WHERE tenant_id = ${tenantId} AND ref = ${ref} RETURNING ref`.pipe(
        Effect.map((rows) => rows.length > 0),
        refail("secret-erase")
      ),
    secrets: sql`SELECT tenant_id, ref, nonce, ciphertext FROM installation_secrets`.pipe(
      Effect.flatMap(decodeSecrets),
      Effect.map((rows) => rows.map((row) => ({ tenantId: row.tenant_id, ref: row.ref, sealed: { nonce: row.nonce, ciphertext: row.ciphertext } }))),
      refail("secret-scan")
    ),
    appendAudit: (e) =>
      Effect.zipRight(
        sql`INSERT INTO installation_audit (at, action, installation_id, platform, tenant_id, workspace_id, status, details)
          VALUES (${e.atMillis}, ${e.action}, ${e.installationId}, ${e.platform}, ${e.tenantId}, ${e.workspaceId},
            ${e.status}, ${JSON.stringify(e.details)})`,
        sql`DELETE FROM installation_audit WHERE seq NOT IN
          (SELECT seq FROM installation_audit ORDER BY seq DESC LIMIT ${AUDIT_CAP})`
      ).pipe(Effect.asVoid, refail("audit-append")),
    auditTrail: ({ installationId, tenantId, limit }) =>
      sql`SELECT * FROM (SELECT seq, at, action, installation_id, platform, tenant_id, workspace_id, status, details
          FROM installation_audit
          WHERE (${installationId ?? null} IS NULL OR installation_id = ${installationId ?? null})
            AND (${tenantId ?? null} IS NULL OR tenant_id = ${tenantId ?? null})
          ORDER BY seq DESC LIMIT ${limit}) ORDER BY seq ASC`.pipe(
        Effect.flatMap(decodeAudit),
        Effect.map((rows) =>
          rows.map((row): AuditEvent => ({
            atMillis: row.at,
            action: row.action,
            installationId: row.installation_id,
            platform: row.platform,
            tenantId: row.tenant_id,
            workspaceId: row.workspace_id,
            status: row.status,
            details: row.details
          }))),
        refail("audit-read")
      ),
    transaction: <A, E>(effect: Effect.Effect<A, E>) =>
      sql.withTransaction(effect).pipe(
        Effect.mapError((error) =>
          isSqlError(error)
            ? new RegistryError({ reason: "unavailable", message: "installation store unavailable (transaction)" })
            : error as E)
      )
  }
}

const isSqlError = (error: unknown): error is SqlError.SqlError =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "SqlError"

export const InstallationRegistrySqlite = {
  /** The registry over `sql` (already migrated), sealing with `vaultKey` (see SecretVault.loadVaultKey). */
  make: (
    sql: SqlClient.SqlClient,
    vaultKey: Redacted.Redacted<Uint8Array>,
    options: RegistryOptions
  ): Effect.Effect<InstallationRegistry["Type"], RegistryError> =>
    makeInstallationRegistry(makeSqliteBackend(sql), makeSecretVault(vaultKey), options)
}
