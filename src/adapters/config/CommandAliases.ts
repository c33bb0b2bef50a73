import { canonicalOf } from "../../domain/command/CommandTable.js"

/**
 * The canonical command an override key names (alias table: src/domain/command/CommandTable.ts):
 * trimmed and lower-cased, looked up as written, then with a `/` prefix (the reference's key
 * normalisation, so `Run` and `stop` work).
 */
export const canonicalCommand = (key: string): string | undefined => {
  const word = key.trim().toLowerCase()
  return canonicalOf(word) ?? canonicalOf(`/${word}`)
}
