/**
 * Compare two strings without an early exit on the first difference, so the time taken does not
 * tell how long a matching prefix was. Only the length is revealed. Used for values that are not
 * secret-keyed (payload hashes); keyed comparisons go through `CallbackSigner.verify`.
 */
export const constantTimeEqual = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
