import { defaultClassOf } from "../command/CommandTable.js"
import type { CommandRequest } from "../model/Request.js"
import type { CommandClass, CoreSettings, IdList } from "../model/Settings.js"
import { Texts } from "../render/Texts.js"

/**
 * Who may run what (domain-core §6, §7, decisions.md "Configuration"). Pure rules over settings.
 * Every id comparison is exact and case-sensitive; every doubt denies.
 */

const KNOWN_PLATFORMS = ["telegram", "discord", "line", "whatsapp", "wechat", "kakao", "slack", "feishu"]

/** Splits `telegram:123` into its platform scope; entries without a known platform prefix are bare. */
const scopeOf = (entry: string): { readonly platform: string | undefined; readonly id: string } => {
  const colon = entry.indexOf(":")
  if (colon > 0) {
    const platform = entry.slice(0, colon).toLowerCase()
    if (KNOWN_PLATFORMS.includes(platform)) return { platform, id: entry.slice(colon + 1) }
  }
  return { platform: undefined, id: entry }
}

/**
 * Whether a configured id entry names `id` on `platform`: a bare entry matches that id on every
 * platform (the reference's meaning), a qualified entry (`telegram:123`) only on its platform.
 */
export const entryMatches = (
  entry: string,
  platform: string,
  id: string,
  same: (configured: string, actual: string) => boolean = (a, b) => a === b
): boolean => {
  const scoped = scopeOf(entry)
  if (scoped.platform !== undefined && scoped.platform !== platform.toLowerCase()) return false
  return same(scoped.id, id)
}

export const listContains = (list: IdList, platform: string, id: string): boolean =>
  list.some((entry) => entryMatches(entry, platform, id))

const INTEGER = /^-?[0-9]+$/

/**
 * Telegram ids compare as integers, as the reference does (`int(sender_id)`): `0123` is `123`.
 * An id that is not an integer never matches.
 */
const sameTelegramInteger = (configured: string, actual: string): boolean =>
  INTEGER.test(configured) && INTEGER.test(actual) && BigInt(configured) === BigInt(actual)

export const isAdmin = (settings: CoreSettings, platform: string, senderId: string): boolean =>
  listContains(settings.adminUsers, platform, senderId)

/**
 * Trusted senders may auto-execute `/run` (domain-core §7): admins, senders on their platform's
 * user list, and members of a chat on its chat list. A platform without lists, or with empty
 * lists, trusts nobody but admins.
 */
export const isTrusted = (settings: CoreSettings, request: CommandRequest): boolean => {
  if (isAdmin(settings, request.platform, request.senderId)) return true
  const platform = request.platform.toLowerCase()
  const lists = settings.trust[platform]
  if (lists === undefined) return false
  const same = platform === "telegram" ? sameTelegramInteger : undefined
  const has = (list: IdList, id: string) => list.some((entry) => entryMatches(entry, platform, id, same))
  return has(lists.users, request.senderId) || has(lists.chats, request.channelId)
}

/**
 * The effective class of a canonical command: the override if configured (keys are already
 * canonical), else the table's default. A name that is not a canonical command is admin-class, so
 * an unexpected caller can never widen access.
 */
export const commandClassOf = (settings: CoreSettings, canonical: string): CommandClass =>
  settings.commandOverrides.get(canonical) ?? defaultClassOf(canonical) ?? "admin"

export type Authorization =
  | { readonly _tag: "Allowed"; readonly commandClass: CommandClass }
  | { readonly _tag: "Denied"; readonly commandClass: CommandClass; readonly text: string }

/**
 * domain-core §6.2 with the decisions: a non-empty allow-from list for the class replaces the
 * class's default rule (only listed senders, admins included; a listed non-admin may run
 * admin-class commands), otherwise admin-class needs an admin. `/chat` is further limited to
 * trusted senders when `chatTrustedOnly` is set. The admin-token guard is the handlers'.
 */
export const authorize = (settings: CoreSettings, request: CommandRequest, canonical: string): Authorization => {
  const commandClass = commandClassOf(settings, canonical)
  const denied = (text: string): Authorization => ({ _tag: "Denied", commandClass, text })
  const allowFrom = settings.allowFrom[commandClass] ?? []
  if (allowFrom.length > 0) {
    if (!listContains(allowFrom, request.platform, request.senderId)) return denied(Texts.notInAllowList)
  } else if (commandClass === "admin" && !isAdmin(settings, request.platform, request.senderId)) {
    return denied(Texts.adminRequired)
  }
  if (canonical === "/chat" && settings.chatTrustedOnly && !isTrusted(settings, request)) {
    return denied(Texts.chatTrustedOnly)
  }
  return { _tag: "Allowed", commandClass }
}
