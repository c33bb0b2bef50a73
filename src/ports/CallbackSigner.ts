import { Context, Effect } from "effect"

/**
 * The connector's callback signing key, used through this port only: the key itself never
 * enters the domain. It signs interactive callback envelopes (buttons and cards) and hashes
 * their payloads (spec/platforms-slack-feishu.md §7).
 *
 * No method fails: malformed input to `verify`/`verifyTruncated` is simply `false`. An empty
 * key verifies nothing (every envelope is refused), so a missing key fails closed.
 */
export class CallbackSigner extends Context.Tag("ports/CallbackSigner")<CallbackSigner, {
  /** Lowercase hex HMAC-SHA256 of the UTF-8 `message` under the key (64 characters). */
  readonly sign: (message: string) => Effect.Effect<string>
  /**
   * Whether `signatureHex` (64 hex characters) is the HMAC-SHA256 of `message`, compared in
   * constant time. Wrong length, non-hex characters or an empty key give `false`.
   */
  readonly verify: (message: string, signatureHex: string) => Effect.Effect<boolean>
  /**
   * Whether `macHex` equals the leading characters of the HMAC-SHA256 of `message`, compared in
   * constant time; for compact tokens on platforms with small payload limits. `macHex` must be
   * 24..64 lowercase hex characters of even length (at least 96 bits), otherwise `false`.
   */
  readonly verifyTruncated: (message: string, macHex: string) => Effect.Effect<boolean>
  /** Lowercase hex SHA-256 of the UTF-8 `text` (no key involved). */
  readonly sha256Hex: (text: string) => Effect.Effect<string>
}>() {}
