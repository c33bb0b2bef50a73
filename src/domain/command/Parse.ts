import { Either } from "effect"
import { type CommandEntry, lookupCommand } from "./CommandTable.js"
import { tokenise, type TokeniseFailure } from "./Tokenise.js"

/**
 * Steps 4-10 of the pipeline (domain-core §2), pure: length limit, tokenise, empty, command word
 * lower-cased, mention promotion, Telegram `/cmd@bot` strip, lookup. Trim and the rate limit come
 * before this and are the router's.
 */
export type Parsed =
  | { readonly _tag: "TooLong"; readonly length: number }
  | { readonly _tag: "Unbalanced"; readonly failure: TokeniseFailure }
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Unknown"; readonly word: string }
  | { readonly _tag: "Command"; readonly entry: CommandEntry; readonly word: string; readonly args: ReadonlyArray<string> }

// Python's str.strip() set: JS trim() lacks U+001C..U+001F and U+0085 and wrongly includes U+FEFF.
const PY_WS = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
const STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "g")

/** Trims all Unicode whitespace at both ends, as the reference's `str.strip()` does. */
export const stripText = (text: string): string => text.replace(STRIP, "")

/** Length in code points (Unicode scalars), as the reference's `len()` counts. */
export const codePointLength = (text: string): number => {
  let n = 0
  for (const _ of text) n++
  return n
}

/**
 * The command word after normalisation: `@bot /cmd args` is promoted to `/cmd args` on every
 * platform, THEN a Telegram `/cmd@bot` suffix is stripped, so `@bot /help@bot` is `/help` (the
 * reference did these in the other order). Which bot a suffix or mention names is not checked
 * here: the router cannot know the bot's username, so adapters drop messages addressed to another
 * bot (see `addressedBot`) before they reach the core.
 */
export const normaliseWord = (
  platform: string,
  tokens: readonly [string, ...Array<string>]
): { readonly word: string; readonly args: ReadonlyArray<string> } => {
  let word = tokens[0].toLowerCase()
  let args = tokens.slice(1)
  const first = args[0]
  if (word.startsWith("@") && first !== undefined && first.startsWith("/")) {
    word = first.toLowerCase()
    args = args.slice(1)
  }
  if (platform.toLowerCase() === "telegram" && word.startsWith("/")) {
    const at = word.indexOf("@")
    if (at >= 0) word = word.slice(0, at)
  }
  return { word, args }
}

/**
 * The bot a Telegram command is addressed to (`/help@mybot` -> `mybot`, also after a mention),
 * lower-cased, or undefined when the command names none. For adapters: a command addressed to
 * another bot in a shared chat must be ignored, not answered.
 */
export const addressedBot = (text: string): string | undefined => {
  const words = stripText(text).split(/[ \t\r\n]+/)
  const command = words[0]?.startsWith("@") && words[1]?.startsWith("/") ? words[1] : words[0]
  if (command === undefined || !command.startsWith("/")) return undefined
  const at = command.indexOf("@")
  return at >= 0 ? command.slice(at + 1).toLowerCase() : undefined
}

/** Parses trimmed message text into a command of the table, or says why it is not one. */
export const parseCommand = (platform: string, trimmed: string, maxLength: number): Parsed => {
  const length = codePointLength(trimmed)
  if (length > maxLength) return { _tag: "TooLong", length }
  const tokenised = tokenise(trimmed)
  if (Either.isLeft(tokenised)) return { _tag: "Unbalanced", failure: tokenised.left }
  const tokens = tokenised.right
  if (tokens.length === 0) return { _tag: "Empty" }
  const { args, word } = normaliseWord(platform, tokens as readonly [string, ...Array<string>])
  const entry = lookupCommand(word)
  return entry === undefined ? { _tag: "Unknown", word } : { _tag: "Command", entry, word, args }
}
