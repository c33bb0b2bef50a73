import { Effect } from "effect"
import type { IdList } from "../../domain/model/Settings.js"
import { type ConfigLoadError, malformed } from "./ConfigLoadError.js"
import { commaList } from "./Parse.js"
import { type Notes, readRaw } from "./Read.js"

/**
 * Id lists (admin users, allow-from lists, per-platform allowlists). Ids compare exactly. An
 * entry may be platform-qualified (`telegram:123`) to scope it to one platform; a bare entry
 * keeps the reference's cross-platform meaning. Malformed entries stop startup: a typo in an
 * allowlist must never silently widen or narrow who is trusted. Errors name the variable and the
 * entry's position, never its text.
 */

export const PLATFORMS = ["telegram", "discord", "line", "whatsapp", "wechat", "kakao", "slack", "feishu"] as const
export type Platform = typeof PLATFORMS[number]

const QUALIFIED = new RegExp(`^(${PLATFORMS.join("|")}):(.*)$`)
const TELEGRAM_ID = /^-?[0-9]+$/

/** A Telegram id in canonical decimal form (`007` -> `7`), or `undefined` when not an integer. */
const telegramId = (text: string): string | undefined =>
  TELEGRAM_ID.test(text) ? BigInt(text).toString() : undefined

export interface IdListScope {
  /** A per-platform allowlist: entries qualified with this platform are unwrapped, others refused. */
  readonly platform?: Platform
}

/** Parses one id list: the entries in order, or the error (which never quotes an entry). */
export const tryParseIdList = (
  variable: string,
  raw: string | undefined,
  scope: IdListScope = {}
): Array<string> | ConfigLoadError => {
  const out: Array<string> = []
  const items = commaList(raw)
  for (const [index, item] of items.entries()) {
    const position = `entry ${index + 1} of ${items.length}`
    const match = QUALIFIED.exec(item)
    const qualifier = match?.[1] as Platform | undefined
    const bare = match === null ? item : match[2]!.trim()
    if (qualifier !== undefined && bare === "") {
      return malformed(variable, `${position} has a platform prefix but no id.`)
    }
    if (scope.platform !== undefined && qualifier !== undefined && qualifier !== scope.platform) {
      const problem = `${position} is qualified with '${qualifier}:' but this list is for ${scope.platform}.`
      return malformed(variable, problem)
    }
    const platform = scope.platform ?? qualifier
    let id = bare
    if (platform === "telegram") {
      const canonical = telegramId(bare)
      if (canonical === undefined) return malformed(variable, `${position} is not an integer Telegram id.`)
      id = canonical
    }
    out.push(scope.platform === undefined && qualifier !== undefined ? `${qualifier}:${id}` : id)
  }
  return out
}

/**
 * Reads and parses an id list; a malformed entry stops startup. A variable that is set but lists
 * nothing (`" , "`) restricts nothing, which is worth a warning.
 */
export const readIdList = (
  notes: Notes,
  variable: string,
  scope: IdListScope = {}
): Effect.Effect<IdList, ConfigLoadError> =>
  Effect.flatMap(readRaw(variable), (raw) => {
    const parsed = tryParseIdList(variable, raw, scope)
    if (!Array.isArray(parsed)) return Effect.fail(parsed)
    if (raw !== undefined && raw.trim() !== "" && parsed.length === 0) {
      notes.warnings.push(`${variable} is set but lists no ids; it restricts nothing.`)
    }
    return Effect.succeed(parsed)
  })

/**
 * Whether every sender `id` stands for is also matched by `list`: a bare entry matches on every
 * platform, so it covers both `123` and `telegram:123`; `telegram:123` covers only itself.
 */
export const coveredBy = (id: string, list: IdList): boolean => {
  if (list.includes(id)) return true
  const match = QUALIFIED.exec(id)
  return match !== null && list.includes(match[2]!)
}
