import { Effect } from "effect"
import { COMMAND_CLASSES, type CommandClass, type CoreSettings, type IdList } from "../../domain/model/Settings.js"
import { canonicalCommand } from "./CommandAliases.js"
import { type ConfigLoadError, malformed } from "./ConfigLoadError.js"
import { coveredBy, readIdList } from "./IdLists.js"
import { clampSpec } from "./Parse.js"
import { type Notes, readInt, readRaw, readStrictBoolean } from "./Read.js"

/**
 * Who may run what: admins, per-command class overrides (keys resolved from any alias to the
 * canonical command), allow-from lists (only non-empty ones), limits. The fields are the core's
 * own, documented on `CoreSettings`.
 */
export type PolicyConfig = Pick<
  CoreSettings,
  | "adminUsers"
  | "commandOverrides"
  | "allowFrom"
  | "rateLimitUserRpm"
  | "rateLimitChannelRpm"
  | "maxCommandLength"
  | "chatTrustedOnly"
>

export const OVERRIDES_VAR = "OPENCLAW_COMMAND_OVERRIDES"
export const allowFromVar = (cls: CommandClass): string => `OPENCLAW_COMMAND_ALLOW_FROM_${cls.toUpperCase()}`

/**
 * `OPENCLAW_COMMAND_OVERRIDES`: a JSON object `{ "<any alias>": "public" | "run" | "admin" }`.
 * Unlike the reference (which ignored bad JSON, alias keys and unknown commands, and stored
 * non-string values raw), anything that is not exactly that stops startup.
 */
export const parseCommandOverrides = (raw: string | undefined): Map<string, CommandClass> | ConfigLoadError => {
  const overrides = new Map<string, CommandClass>()
  if (raw === undefined || raw.trim() === "") return overrides
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return malformed(OVERRIDES_VAR, "is not valid JSON; expected an object such as {\"/run\": \"admin\"}.")
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return malformed(OVERRIDES_VAR, "must be a JSON object mapping commands to public, run or admin.")
  }
  for (const [key, value] of Object.entries(json)) {
    const command = canonicalCommand(key)
    if (command === undefined) return malformed(OVERRIDES_VAR, `names an unknown command ${JSON.stringify(key)}.`)
    const cls = typeof value === "string" ? COMMAND_CLASSES.find((c) => c === value.trim().toLowerCase()) : undefined
    if (cls === undefined) {
      return malformed(OVERRIDES_VAR, `gives ${JSON.stringify(key)} a class other than public, run or admin.`)
    }
    const previous = overrides.get(command)
    if (previous !== undefined && previous !== cls) {
      return malformed(OVERRIDES_VAR, `gives ${command} two different classes through its aliases.`)
    }
    overrides.set(command, cls)
  }
  return overrides
}

/**
 * Allow-from lists replace the class's default rule. For the admin class that widens or narrows
 * who may run admin commands, so every such change is said out loud at startup.
 */
export const allowFromWarnings = (
  allowFrom: PolicyConfig["allowFrom"],
  adminUsers: IdList
): Array<string> => {
  const listed = allowFrom.admin
  if (listed === undefined) return []
  const variable = allowFromVar("admin")
  const widened = listed
    .filter((id) => !coveredBy(id, adminUsers))
    .map((id) =>
      `${variable} lists ${id}, who is not in OPENCLAW_CONNECTOR_ADMIN_USERS: ${id} may run admin-class commands.`
    )
  const lockedOut = adminUsers.filter((admin) => !coveredBy(admin, listed))
  const narrowed = lockedOut.length === 0 ? [] : [
    `${variable} does not list admin(s) ${lockedOut.join(", ")}: they may not run admin-class commands.`
  ]
  return [...widened, ...narrowed]
}

export const loadPolicy = (notes: Notes): Effect.Effect<PolicyConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const adminUsers = yield* readIdList(notes, "OPENCLAW_CONNECTOR_ADMIN_USERS")
    const overrides = parseCommandOverrides(yield* readRaw(OVERRIDES_VAR))
    if (!(overrides instanceof Map)) return yield* overrides
    const allowFrom: Partial<Record<CommandClass, IdList>> = {}
    for (const cls of COMMAND_CLASSES) {
      const list = yield* readIdList(notes, allowFromVar(cls))
      if (list.length > 0) allowFrom[cls] = list
    }
    notes.warnings.push(...allowFromWarnings(allowFrom, adminUsers))
    return {
      adminUsers,
      commandOverrides: overrides,
      allowFrom,
      rateLimitUserRpm: yield* readInt(notes, "OPENCLAW_CONNECTOR_RATE_LIMIT_USER_RPM", clampSpec(10, 1, 600)),
      rateLimitChannelRpm: yield* readInt(notes, "OPENCLAW_CONNECTOR_RATE_LIMIT_CHANNEL_RPM", clampSpec(30, 1, 600)),
      maxCommandLength: yield* readInt(notes, "OPENCLAW_CONNECTOR_MAX_COMMAND_LENGTH", clampSpec(4096, 128, 32768)),
      chatTrustedOnly: yield* readStrictBoolean("OPENCLAW_CONNECTOR_CHAT_TRUSTED_ONLY", false)
    }
  })
