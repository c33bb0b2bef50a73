import { Either } from "effect"

/**
 * POSIX-shell-like word splitting as the reference does it with Python's `shlex` (posix mode,
 * `whitespace_split=True`, `quotes='"'`, escape `\`): separators are only space, TAB, CR and
 * LF; double quotes group (and may sit mid-word); a single quote is an ordinary character;
 * outside quotes `\` escapes any character, inside quotes only `"` and `\`; `""` is an empty
 * word. With `comments`, `#` starts a comment running to the end of the line, even mid-word
 * (the command firewall's configuration; the router's tokeniser has no comments).
 */
export type ShellWordsError = "No closing quotation" | "No escaped character"

const SEPARATORS = new Set([" ", "\t", "\r", "\n"])

export const shellWords = (
  text: string,
  options: { readonly comments: boolean }
): Either.Either<ReadonlyArray<string>, ShellWordsError> => {
  const words: Array<string> = []
  let word = ""
  let quoted = false
  let state: "between" | "word" | "quote" | "escape" | "comment" = "between"
  let afterEscape: "word" | "quote" = "word"
  const emit = () => {
    if (word !== "" || quoted) words.push(word)
    word = ""
    quoted = false
  }
  for (const ch of text) {
    switch (state) {
      case "comment":
        if (ch === "\n") state = "between"
        break
      case "between":
      case "word":
        if (SEPARATORS.has(ch)) {
          emit()
          state = "between"
        } else if (options.comments && ch === "#") {
          emit()
          state = "comment"
        } else if (ch === "\"") {
          quoted = true
          state = "quote"
        } else if (ch === "\\") {
          afterEscape = "word"
          state = "escape"
        } else {
          word += ch
          state = "word"
        }
        break
      case "quote":
        if (ch === "\"") state = "word"
        else if (ch === "\\") {
          afterEscape = "quote"
          state = "escape"
        } else word += ch
        break
      case "escape":
        if (afterEscape === "quote" && ch !== "\\" && ch !== "\"") word += "\\"
        word += ch
        state = afterEscape
        break
    }
  }
  if (state === "quote") return Either.left("No closing quotation")
  if (state === "escape") return Either.left("No escaped character")
  emit()
  return Either.right(words)
}

const NEEDS_QUOTES = /[\s"\\#]/

/**
 * A word written so that `shellWords` (with or without comments) reads it back unchanged:
 * bare when it is plain, otherwise in double quotes with `"` and `\` escaped.
 */
export const quoteWord = (word: string): string =>
  word !== "" && !NEEDS_QUOTES.test(word) ? word : `"${word.replace(/["\\]/g, (c) => `\\${c}`)}"`
