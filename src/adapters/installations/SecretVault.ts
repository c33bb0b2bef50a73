import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto"
import { join } from "node:path"
import { Effect, Option, Redacted, Schema } from "effect"
import { loadOrCreateKeyFile } from "../crypto/KeyFile.js"

/**
 * The secret vault behind the installation registry (spec platforms-slack-feishu §5, decisions.md
 * "One installation registry and one secret vault per process"). Each value is sealed with
 * AES-256-GCM under a fresh random 96-bit nonce; the additional authenticated data binds it to its
 * ref and tenant, so a sealed value copied under another ref or tenant does not open.
 *
 * Key: HKDF-SHA256 of `OPENCLAW_CONNECTOR_SECRET_KEY` (info `openclaw-vault-v1`) when set (one
 * secret to manage, shared by replicas), else 32 random bytes created once in
 * `<state dir>/vault.key` (hex, mode 0600). A key file that exists but does not hold a key stops
 * startup instead of silently minting a new one (which would orphan every stored secret).
 *
 * `open` answers `None` for anything that does not authenticate (tampered bytes, another key,
 * another ref or tenant): callers treat that exactly like a missing secret, so resolution fails
 * closed. No value ever reaches a log, an error or an exception message.
 */

export const VAULT_KEY_FILE = "vault.key"
export const VAULT_KEY_INFO = "openclaw-vault-v1"
const NONCE_BYTES = 12
const TAG_BYTES = 16
const AAD_PREFIX = "openclaw-vault-v1"

/** One sealed value as stored: base64 nonce and base64 (ciphertext || 16-byte GCM tag). */
export interface SealedSecret {
  readonly nonce: string
  readonly ciphertext: string
}

/** What a sealed value is bound to (its additional authenticated data). */
export interface SecretScope {
  readonly tenantId: string
  readonly ref: string
}

export interface SecretVault {
  readonly seal: (scope: SecretScope, value: string) => SealedSecret
  readonly open: (scope: SecretScope, sealed: SealedSecret) => Option.Option<string>
}

export class VaultKeyError extends Schema.TaggedError<VaultKeyError>()("VaultKeyError", {
  reason: Schema.Literal("unreadable", "unwritable", "malformed"),
  path: Schema.String
}) {
  override get message(): string {
    return `secret vault key ${this.reason}: ${this.path}`
  }
}

export const deriveVaultKey = (secret: string): Uint8Array =>
  new Uint8Array(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), VAULT_KEY_INFO, 32))

/** The vault key for this deployment (see the module comment for the rule). Never logged. */
export const loadVaultKey = (options: {
  readonly stateDir: string
  readonly secretKey: Option.Option<Redacted.Redacted>
}): Effect.Effect<Redacted.Redacted<Uint8Array>, VaultKeyError> =>
  Effect.map(
    Option.match(options.secretKey, {
      onSome: (secret) => Effect.succeed(deriveVaultKey(Redacted.value(secret) as string)),
      onNone: () =>
        loadOrCreateKeyFile(join(options.stateDir, VAULT_KEY_FILE), options.stateDir).pipe(
          Effect.mapError((e) => new VaultKeyError({ reason: e.reason, path: e.path }))
        )
    }),
    (key) => Redacted.make(key)
  )

/** A vault key for tests and the in-memory registry: random, lives as long as the process. */
export const randomVaultKey = (): Redacted.Redacted<Uint8Array> => Redacted.make(new Uint8Array(randomBytes(32)))

const aad = (scope: SecretScope): Buffer =>
  Buffer.from(`${AAD_PREFIX}\u0000${scope.tenantId}\u0000${scope.ref}`, "utf8")

/** Strict base64: only the canonical encoding of some bytes is accepted (no ignored characters). */
const decodeCanonical = (text: string): Buffer | undefined => {
  if (typeof text !== "string") return undefined
  const bytes = Buffer.from(text, "base64")
  return bytes.toString("base64") === text ? bytes : undefined
}

export const makeSecretVault = (key: Redacted.Redacted<Uint8Array>): SecretVault => {
  const keyBytes = Redacted.value(key)
  if (keyBytes.length !== 32) throw new Error("secret vault key must be 32 bytes")
  return {
    seal: (scope, value) => {
      const nonce = randomBytes(NONCE_BYTES)
      const cipher = createCipheriv("aes-256-gcm", keyBytes, nonce, { authTagLength: TAG_BYTES })
      cipher.setAAD(aad(scope))
      const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final(), cipher.getAuthTag()])
      return { nonce: nonce.toString("base64"), ciphertext: body.toString("base64") }
    },
    open: (scope, sealed) => {
      const nonce = decodeCanonical(sealed.nonce)
      const body = decodeCanonical(sealed.ciphertext)
      if (nonce === undefined || body === undefined || nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
        return Option.none()
      }
      try {
        const decipher = createDecipheriv("aes-256-gcm", keyBytes, nonce, { authTagLength: TAG_BYTES })
        decipher.setAAD(aad(scope))
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
        const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()])
        const value = plain.toString("utf8")
        return value === "" ? Option.none() : Option.some(value)
      } catch {
        // Authentication failed: tampered, wrong key, or bound to another ref/tenant.
        return Option.none()
      }
    }
  }
}
