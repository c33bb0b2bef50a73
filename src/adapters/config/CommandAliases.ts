/**
 * The command alias table (domain-core §5): alias -> canonical command. The config adapter keeps
 * its own copy so that override keys can be resolved at startup without importing the command
 * module (owned elsewhere, src/domain/command/); keep the two in step.
 */
export const COMMAND_ALIASES: ReadonlyMap<string, string> = new Map(
  ([
    ["/status", ["/status", "status"]],
    ["/help", ["/help", "help", "/start"]],
    ["/run", ["/run", "run"]],
    ["/interrupt", ["/interrupt", "interrupt", "/cancel", "cancel", "/stop"]],
    ["/approvals", ["/approvals", "approvals"]],
    ["/approve", ["/approve", "approve"]],
    ["/reject", ["/reject", "reject"]],
    ["/schedules", ["/schedules", "schedules"]],
    ["/schedule", ["/schedule", "schedule"]],
    ["/history", ["/history", "history"]],
    ["/trace", ["/trace", "trace"]],
    ["/jobs", ["/jobs", "jobs", "queue"]],
    ["/chat", ["/chat", "chat"]]
  ] as const).flatMap(([canonical, aliases]) => aliases.map((alias) => [alias, canonical] as const))
)

/**
 * The canonical command an override key names: trimmed and lower-cased, looked up as written,
 * then with a `/` prefix (the reference's key normalisation, so `Run` and `stop` work).
 */
export const canonicalCommand = (key: string): string | undefined => {
  const word = key.trim().toLowerCase()
  return COMMAND_ALIASES.get(word) ?? COMMAND_ALIASES.get(`/${word}`)
}
