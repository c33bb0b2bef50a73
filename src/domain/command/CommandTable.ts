import type { CommandClass } from "../model/Settings.js"

/**
 * The command table (frozen by the reference's router contract): aliases are matched exactly
 * after normalisation, every alias is unique, and the first alias is canonical, slash-prefixed,
 * and the key used for class overrides. Notable absences: `stop` (no slash), `/queue`, `start`.
 */
export interface CommandEntry {
  readonly canonical: string
  readonly aliases: ReadonlyArray<string>
  readonly defaultClass: CommandClass
}

const entry = (defaultClass: CommandClass, ...aliases: [string, ...Array<string>]): CommandEntry => ({
  canonical: aliases[0],
  aliases,
  defaultClass
})

export const COMMAND_TABLE: ReadonlyArray<CommandEntry> = [
  entry("public", "/status", "status"),
  entry("public", "/help", "help", "/start"),
  entry("run", "/run", "run"),
  entry("admin", "/interrupt", "interrupt", "/cancel", "cancel", "/stop"),
  entry("admin", "/approvals", "approvals"),
  entry("admin", "/approve", "approve"),
  entry("admin", "/reject", "reject"),
  entry("admin", "/schedules", "schedules"),
  entry("admin", "/schedule", "schedule"),
  entry("public", "/history", "history"),
  entry("admin", "/trace", "trace"),
  entry("admin", "/jobs", "jobs", "queue"),
  entry("public", "/chat", "chat")
]

const BY_ALIAS: ReadonlyMap<string, CommandEntry> = new Map(
  COMMAND_TABLE.flatMap((e) => e.aliases.map((alias) => [alias, e] as const))
)

/** The entry whose aliases contain `word` exactly (already lower-cased by the caller). */
export const lookupCommand = (word: string): CommandEntry | undefined => BY_ALIAS.get(word)

/** The canonical command for any alias, or undefined (used to resolve override keys). */
export const canonicalOf = (alias: string): string | undefined => BY_ALIAS.get(alias)?.canonical

/** Default class of a canonical command; undefined for anything that is not canonical. */
export const defaultClassOf = (canonical: string): CommandClass | undefined => {
  const found = BY_ALIAS.get(canonical)
  return found !== undefined && found.canonical === canonical ? found.defaultClass : undefined
}
