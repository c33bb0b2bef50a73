import { Effect } from "effect"
import type { IdList } from "../../domain/model/Settings.js"
import { ConfigLoadError, malformed } from "./ConfigLoadError.js"
import type { Platform } from "./IdLists.js"
import { booleanWord } from "./Parse.js"
import { readText } from "./Read.js"

/** The deployment posture and multi-tenant switches (read by the connector itself). */
export interface ProfileConfig {
  /** `OPENCLAW_DEPLOYMENT_PROFILE`, trimmed and lower-cased ("" when unset). */
  readonly deploymentProfile: string
  /** `OPENCLAW_RUNTIME_PROFILE`, trimmed and lower-cased ("" when unset). */
  readonly runtimeProfile: string
  /** `public` deployment or `hardened` runtime: every enabled platform must have an allowlist. */
  readonly strict: boolean
}

export interface TenancyConfig {
  readonly multiTenantEnabled: boolean
  readonly allowDefaultFallback: boolean
  /** Header checked first for the tenant id (then `X-OpenClaw-Tenant-Id`, `X-Moltbot-Tenant-Id`). */
  readonly tenantHeader: string
}

export const loadProfile: Effect.Effect<ProfileConfig, ConfigLoadError> = Effect.gen(function*() {
  const deploymentProfile = ((yield* readText("OPENCLAW_DEPLOYMENT_PROFILE")) ?? "").toLowerCase()
  const runtimeProfile = ((yield* readText("OPENCLAW_RUNTIME_PROFILE")) ?? "").toLowerCase()
  return { deploymentProfile, runtimeProfile, strict: deploymentProfile === "public" || runtimeProfile === "hardened" }
})

/** `OPENCLAW_<name>`, else the legacy `MOLTBOT_<name>`; a non-boolean word stops startup. */
const tenancySwitch = (name: string) =>
  Effect.gen(function*() {
    for (const variable of [`OPENCLAW_${name}`, `MOLTBOT_${name}`]) {
      const text = yield* readText(variable)
      if (text === undefined) continue
      const value = booleanWord(text)
      if (value === undefined) {
        return yield* malformed(variable, "must be true or false (also accepted: 1/0, yes/no, on/off).")
      }
      return value
    }
    return false
  })

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export const loadTenancy: Effect.Effect<TenancyConfig, ConfigLoadError> = Effect.gen(function*() {
  const multiTenantEnabled = yield* tenancySwitch("MULTI_TENANT_ENABLED")
  const allowDefaultFallback = yield* tenancySwitch("MULTI_TENANT_ALLOW_DEFAULT_FALLBACK")
  let tenantHeader = "X-OpenClaw-Tenant-Id"
  for (const variable of ["OPENCLAW_TENANT_HEADER", "MOLTBOT_TENANT_HEADER"]) {
    const text = yield* readText(variable)
    if (text === undefined) continue
    if (!HEADER_NAME.test(text)) return yield* malformed(variable, "is not a valid HTTP header name.")
    tenantHeader = text
    break
  }
  return { multiTenantEnabled, allowDefaultFallback, tenantHeader }
})

/** One platform as the allowlist posture sees it. */
export interface Coverage {
  readonly platform: Platform
  readonly enabled: boolean
  /** Its parsed allowlists (a variable that parses to nothing guards nothing). */
  readonly lists: ReadonlyArray<IdList>
  readonly variables: ReadonlyArray<string>
}

const unguarded = (coverage: ReadonlyArray<Coverage>): ReadonlyArray<Coverage> =>
  coverage.filter((c) => c.enabled && c.lists.every((list) => list.length === 0))

const describe = (missing: ReadonlyArray<Coverage>): string =>
  missing.map((c) => `${c.platform} (set ${c.variables.join(" or ")})`).join("; ")

/**
 * The strict profile gate the reference left to its server: in a `public` deployment or a
 * `hardened` runtime, an enabled platform without allowlist coverage refuses to start. Outside
 * the strict profile the same finding is a warning.
 */
export const allowlistPosture = (
  profile: ProfileConfig,
  coverage: ReadonlyArray<Coverage>
): { readonly error?: ConfigLoadError; readonly warnings: ReadonlyArray<string> } => {
  const missing = unguarded(coverage)
  if (missing.length === 0) return { warnings: [] }
  if (!profile.strict) {
    return {
      warnings: [
        `Connector allowlist coverage missing for enabled platform(s): ${describe(missing)}. ` +
          `Configure allowlists before exposing connector ingress.`
      ]
    }
  }
  const variable = profile.deploymentProfile === "public" ? "OPENCLAW_DEPLOYMENT_PROFILE" : "OPENCLAW_RUNTIME_PROFILE"
  const value = profile.deploymentProfile === "public" ? "public" : "hardened"
  return {
    warnings: [],
    error: new ConfigLoadError({
      reason: "unguarded-platform",
      variable,
      message: `${variable}=${value} requires an allowlist for every enabled platform; missing for: ` +
        `${describe(missing)}. Set an allowlist or disable the platform.`
    })
  }
}

const WARN = "\u26a0\ufe0f "
const RULE = "=".repeat(60)

/** The startup security banner (domain-core §17 step 3), counting every trust list. */
export const securityBanner = (input: {
  readonly trustLists: ReadonlyArray<IdList>
  readonly adminUsers: IdList
  readonly adminAllowFrom: boolean
  readonly adminTokenConfigured: boolean
}): Array<string> => {
  const lines: Array<string> = []
  if (input.trustLists.every((list) => list.length === 0)) {
    lines.push(
      RULE,
      "SECURITY: No trusted users configured.",
      "All /run commands will require approval.",
      "Set OPENCLAW_CONNECTOR_*_ALLOWED_USERS to enable auto-exec.",
      RULE
    )
  }
  if (input.adminUsers.length === 0) {
    lines.push(
      "No admin users configured (OPENCLAW_CONNECTOR_ADMIN_USERS).",
      input.adminAllowFrom
        ? "Admin commands are limited to the senders in OPENCLAW_COMMAND_ALLOW_FROM_ADMIN."
        : "Admin commands (/approve, /reject, etc.) will be unavailable."
    )
  }
  if (!input.adminTokenConfigured) {
    lines.push(
      "No admin token configured (OPENCLAW_CONNECTOR_ADMIN_TOKEN).",
      "Admin commands will fail if OpenClaw Server requires authentication."
    )
  }
  return lines.map((line) => `${WARN}${line}`)
}
