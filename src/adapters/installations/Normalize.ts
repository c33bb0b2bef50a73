import { Effect } from "effect"
import { INSTALLATION_STATUSES, type InstallationStatus, RegistryError } from "../../ports/InstallationRegistry.js"

/**
 * Input normalisation of the installation registry (spec platforms-slack-feishu §4 "Normalisation",
 * §6 tenant ids). Every rejection is a `RegistryError` `invalid` with the reference's message text.
 */

export const DEFAULT_TENANT = "default"

/** §6: after trim + lower-case. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** Statuses whose record may serve a workspace (§4 "Resolvable statuses"). */
export const RESOLVABLE_STATUSES: ReadonlySet<InstallationStatus> = new Set(["active", "rotating"])

/** Health states that refuse resolution even for a resolvable status (§4 rule 6). */
export const UNRESOLVABLE_HEALTH: ReadonlySet<string> = new Set(["invalid_token", "revoked"])

export const invalid = (message: string) => new RegistryError({ reason: "invalid", message })

export const notFound = (installationId: string) =>
  new RegistryError({ reason: "not-found", message: `Installation not found: ${installationId}` })

/** `platform`: trimmed, lower-cased, non-empty. */
export const normalizePlatform = (value: string): Effect.Effect<string, RegistryError> => {
  const text = value.trim().toLowerCase()
  return text === "" ? Effect.fail(invalid("platform must be non-empty")) : Effect.succeed(text)
}

/** `workspace_id`, `installation_id`, `token_name`, `token:<name>`: trimmed, non-empty. */
export const requireField = (field: string, value: string): Effect.Effect<string, RegistryError> => {
  const text = value.trim()
  return text === "" ? Effect.fail(invalid(`${field} must be non-empty`)) : Effect.succeed(text)
}

/**
 * Tenant ids (§6): absent or "" means `default`; anything else is trimmed and lower-cased and
 * must match TENANT_PATTERN (`tenant_invalid` otherwise, so a blank or odd header never widens
 * access to the default tenant).
 */
export const normalizeTenant = (value: string | undefined): Effect.Effect<string, RegistryError> => {
  if (value === undefined || value === "") return Effect.succeed(DEFAULT_TENANT)
  const text = value.trim().toLowerCase()
  return TENANT_PATTERN.test(text)
    ? Effect.succeed(text)
    : Effect.fail(invalid("tenant_invalid: tenant_id must match ^[a-z0-9][a-z0-9._-]{0,63}$"))
}

export const normalizeStatus = (value: string): Effect.Effect<InstallationStatus, RegistryError> => {
  const text = value.trim().toLowerCase()
  if (text === "") return Effect.fail(invalid("status must be non-empty"))
  const status = INSTALLATION_STATUSES.find((s) => s === text)
  return status === undefined
    ? Effect.fail(invalid(`status must be one of ${INSTALLATION_STATUSES.join(", ")}`))
    : Effect.succeed(status)
}

/** Token refs are derived, never chosen by callers: `connector_installation:<installation_id>:<name>`. */
export const tokenRef = (installationId: string, tokenName: string): string =>
  `connector_installation:${installationId}:${tokenName}`

/** Token names are chosen by code (`bot_token`, `app_secret`), never by users: a plain word. */
const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/** Token names and values, trimmed and non-empty (values are stored trimmed, as the reference does). */
export const normalizeTokens = (
  tokens: Readonly<Record<string, string>> | undefined
): Effect.Effect<ReadonlyArray<readonly [string, string]>, RegistryError> =>
  Effect.forEach(Object.entries(tokens ?? {}), ([rawName, rawValue]) =>
    Effect.flatMap(requireField("token_name", rawName), (name) =>
      TOKEN_NAME.test(name) && name !== "__proto__"
        ? Effect.map(requireField(`token:${name}`, typeof rawValue === "string" ? rawValue : ""), (value) => [name, value] as const)
        : Effect.fail(invalid("token_name must be a word of letters, digits, '_', '.' or '-'"))))

/** Metadata keys must be non-empty; values are trimmed and empty values dropped. */
export const normalizeMetadata = (
  metadata: Readonly<Record<string, string>> | undefined
): Effect.Effect<Record<string, string>, RegistryError> =>
  Effect.gen(function*() {
    const out: Record<string, string> = {}
    for (const [rawKey, rawValue] of Object.entries(metadata ?? {})) {
      const key = yield* requireField("metadata key", rawKey)
      const value = typeof rawValue === "string" ? rawValue.trim() : ""
      if (value !== "") out[key] = value
    }
    return out
  })

/** `max(1, min(limit, 500))`, 100 when absent or not a number. */
export const clampAuditLimit = (limit: number | undefined, cap: number): number => {
  if (limit === undefined || !Number.isFinite(limit)) return Math.min(100, cap)
  return Math.max(1, Math.min(Math.floor(limit), cap))
}
