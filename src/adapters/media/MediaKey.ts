import { hkdfSync } from "node:crypto"
import { join } from "node:path"
import { Effect, Option, Redacted, Schema } from "effect"
import { loadOrCreateKeyFile } from "../crypto/KeyFile.js"

/**
 * The key that signs media links (spec backend-and-delivery.md §5.9, decisions.md "Media links").
 * Links must stay valid across restarts and on every server that serves the media route, so the
 * key is never per instance:
 * - with `OPENCLAW_CONNECTOR_ADMIN_TOKEN`, HKDF-SHA256 of the token, domain-separated with the
 *   info string `openclaw-media-v1` (the reference used the token's bytes as the key directly);
 * - otherwise 32 random bytes created once in `<state dir>/media.key` (hex, mode 0600). A file
 *   that exists but does not hold a key stops startup instead of silently minting a new key.
 * The key is never logged.
 */
export class MediaKeyError extends Schema.TaggedError<MediaKeyError>()("MediaKeyError", {
  reason: Schema.Literal("unreadable", "unwritable", "malformed"),
  path: Schema.String
}) {
  override get message(): string {
    return `media signing key ${this.reason}: ${this.path}`
  }
}

export const MEDIA_KEY_FILE = "media.key"
export const MEDIA_KEY_INFO = "openclaw-media-v1"

export const deriveMediaKey = (adminToken: string): Uint8Array =>
  new Uint8Array(hkdfSync("sha256", Buffer.from(adminToken, "utf8"), Buffer.alloc(0), MEDIA_KEY_INFO, 32))

/** The media signing key for this deployment (see the class comment for the rule). */
export const mediaSigningKey = (options: {
  readonly stateDir: string
  readonly adminToken: Option.Option<Redacted.Redacted>
}): Effect.Effect<Redacted.Redacted<Uint8Array>, MediaKeyError> =>
  Effect.map(
    Option.match(options.adminToken, {
      onNone: () =>
        loadOrCreateKeyFile(join(options.stateDir, MEDIA_KEY_FILE), options.stateDir).pipe(
          Effect.mapError((e) => new MediaKeyError({ reason: e.reason, path: e.path }))
        ),
      onSome: (token) => Effect.succeed(deriveMediaKey(Redacted.value(token) as string))
    }),
    (key) => Redacted.make(key)
  )
