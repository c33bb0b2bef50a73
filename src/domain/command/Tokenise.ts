import { Either } from "effect"

/**
 * Why a message could not be split into tokens. Both are answered with the same
 * "unbalanced quotes?" reply; the reason is kept for logs and tests.
 */
export type TokeniseFailure = "no-closing-quotation" | "no-escaped-character"

const SEPARATORS = new Set([" ", "\t", "\r", "\n"])
const QUOTE = "\""
const ESCAPE = "\\"

/**
 * Splits message text the way the reference does (Python `shlex`, POSIX mode, `whitespace_split`,
 * quotes = `"` only, no comment character, escape `\`):
 * - only space, TAB, CR and LF separate tokens (NBSP, U+3000, VT, FF belong to tokens);
 * - `"` groups text and may sit mid-token (`a"b c"d` -> `ab cd`); `""` is an empty token;
 * - `'` and `#` are ordinary characters (`She's` works);
 * - outside quotes `\` takes the next character literally; inside quotes it escapes only `"` and
 *   `\` and is otherwise kept (`"a\b"` -> `a\b`);
 * - an unterminated `"` or a trailing lone `\` is a failure.
 */
export const tokenise = (text: string): Either.Either<ReadonlyArray<string>, TokeniseFailure> => {
  const tokens: Array<string> = []
  let token = ""
  let inToken = false // a token has started (possibly empty, when it began with quotes)
  let inQuotes = false
  let escaping = false
  let escapedInQuotes = false

  for (const ch of text) {
    if (escaping) {
      // Inside quotes a backslash before anything but `"` or `\` stays literal.
      if (escapedInQuotes && ch !== QUOTE && ch !== ESCAPE) token += ESCAPE
      token += ch
      escaping = false
      continue
    }
    if (inQuotes) {
      if (ch === QUOTE) inQuotes = false
      else if (ch === ESCAPE) {
        escaping = true
        escapedInQuotes = true
      } else token += ch
      continue
    }
    if (SEPARATORS.has(ch)) {
      if (inToken) tokens.push(token)
      token = ""
      inToken = false
    } else if (ch === QUOTE) {
      inQuotes = true
      inToken = true
    } else if (ch === ESCAPE) {
      escaping = true
      escapedInQuotes = false
      inToken = true
    } else {
      token += ch
      inToken = true
    }
  }
  if (escaping) return Either.left("no-escaped-character")
  if (inQuotes) return Either.left("no-closing-quotation")
  if (inToken) tokens.push(token)
  return Either.right(tokens)
}
