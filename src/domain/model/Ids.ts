/**
 * Ids that the core places in backend URL paths (prompt, approval, schedule, job ids).
 * A conservative charset: letters, digits, `.`, `_`, `:`, `-`; 1..128 characters, starting with a
 * letter or digit. Anything else is refused before any backend call; adapters also URL-encode.
 */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export const isSafeId = (id: string): boolean => SAFE_ID.test(id)
