import { Either } from "effect"
import type { PolicyContract } from "./SemanticGuard.js"
import { quoteWord, shellWords } from "./ShellWords.js"

/**
 * The command firewall (R97, spec/domain-core.md §10): parses a command the LLM suggested,
 * refuses anything outside a small allowlist, and renders the safe ones in a canonical form the
 * user may copy. It validates text only; nothing it accepts is ever executed by `/chat`.
 */
export const ALLOWED_SUGGESTED_COMMANDS: ReadonlyArray<string> = ["/run", "/status", "/help", "/jobs"]

/** Checked in this order; the first hit is reported by its (reference) pattern source. */
const DENY_PATTERNS: ReadonlyArray<readonly [string, string]> = [
  [";", ";"],
  ["`", "`"],
  ["$(", "\\$\\("],
  ["|", "\\|"]
]
const VALID_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_VALUE_LENGTH = 1000

export interface NormalizedCommand extends PolicyContract {
  /** Lower-cased command word; `error` or `""` when nothing could be read. */
  readonly command: string
  /** Positional words in their original order (template id first for `/run`). */
  readonly args: ReadonlyArray<string>
  /** `key=value` words; a later duplicate key overwrites an earlier one. */
  readonly flags: ReadonlyMap<string, string>
  readonly isSafe: boolean
}

const unsafe = (command: string, reason: string, code: string, severity: "high" | "medium"): NormalizedCommand => ({
  command, args: [], flags: new Map(), isSafe: false, reason, code, severity, action: "deny"
})

export const validateSuggestion = (raw: string): NormalizedCommand => {
  const clean = raw.trim()
  const denied = DENY_PATTERNS.find(([literal]) => clean.includes(literal))
  if (denied !== undefined) {
    return unsafe("error", `unsafe_pattern_detected: ${denied[1]}`, "firewall_unsafe_pattern", "high")
  }
  const parsed = shellWords(clean, { comments: true })
  if (Either.isLeft(parsed)) return unsafe("error", `parse_error: ${parsed.left}`, "firewall_parse_error", "medium")
  const [first, ...rest] = parsed.right
  if (first === undefined) return unsafe("", "empty_command", "firewall_empty_command", "medium")
  const command = first.toLowerCase()
  if (!ALLOWED_SUGGESTED_COMMANDS.includes(command)) {
    return unsafe(command, `command_not_allowed: ${command}`, "firewall_command_not_allowed", "high")
  }
  const args: Array<string> = []
  const flags = new Map<string, string>()
  for (const word of rest) {
    // `--seed=5` and `-a` are positional; `-k=v` is a flag whose key can never be valid.
    const isFlag = word.includes("=") && !word.startsWith("--")
    if (!isFlag) {
      args.push(word)
      continue
    }
    const at = word.indexOf("=")
    const key = word.slice(0, at)
    const value = word.slice(at + 1)
    if (!VALID_KEY.test(key)) return unsafe(command, `invalid_key: ${key}`, "firewall_invalid_key", "medium")
    if ([...value].length > MAX_VALUE_LENGTH) {
      return unsafe(command, `value_too_long: ${key}`, "firewall_value_too_long", "medium")
    }
    flags.set(key, value)
  }
  return { command, args, flags, isSafe: true, reason: "valid", code: "firewall_allow", severity: "info", action: "allow" }
}

/**
 * The canonical text of a safe command: the command, then positional words in order (so `/run`
 * still sees its template id first), then `key=value` flags sorted by key. Every word and value
 * is quoted when needed, so the text tokenises back to exactly the same command.
 */
export const renderCommand = (command: Pick<NormalizedCommand, "command" | "args" | "flags">): string => {
  const flags = [...command.flags.keys()].sort().map((key) => `${key}=${quoteWord(command.flags.get(key)!)}`)
  return [command.command, ...command.args.map(quoteWord), ...flags].join(" ")
}
