/** Text splitting shared by every platform renderer (each passes its own per-message limit). */

export const isBlank = (s: string) => s.trim() === ""

/** Never split a UTF-16 surrogate pair. */
const safeCut = (text: string, at: number): number => {
  const code = text.charCodeAt(at - 1)
  return at > 1 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at
}

/**
 * Splits `text` into pieces of at most `limit` characters, preferring to cut just after the last
 * newline, else the last space, before the limit (the delimiter stays with the earlier piece).
 * A cut is only taken past the first `protect` characters (the prefix), so the first piece always
 * carries text of its own; whitespace opening a later piece is dropped, so no piece is blank.
 */
export const chunkText = (text: string, limit: number, protect = 0): Array<string> => {
  const chunks: Array<string> = []
  let rest = text
  let keep = protect
  while (rest.length > 0) {
    if (rest.length <= limit) {
      chunks.push(rest)
      break
    }
    const newline = rest.lastIndexOf("\n", limit - 1)
    const space = rest.lastIndexOf(" ", limit - 1)
    const cut = newline >= keep ? newline + 1 : space >= keep ? space + 1 : safeCut(rest, limit)
    chunks.push(rest.slice(0, cut))
    rest = rest.slice(cut).trimStart()
    keep = 0
  }
  return chunks
}
