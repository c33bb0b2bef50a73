import { hkdfSync, randomBytes } from "node:crypto"
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Option, Redacted, Schema } from "effect"

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

const KEY_TEXT = /^[0-9a-f]{64}$/

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code

const readKey = (path: string): Effect.Effect<Option.Option<Uint8Array>, MediaKeyError> =>
  Effect.flatMap(
    Effect.try({
      try: () => Option.some(readFileSync(path, "utf8").trim()),
      catch: (e) => errno(e) === "ENOENT" ? "absent" as const : new MediaKeyError({ reason: "unreadable", path })
    }).pipe(Effect.catchIf((e) => e === "absent", () => Effect.succeed(Option.none<string>()))),
    Option.match({
      onNone: () => Effect.succeed(Option.none()),
      onSome: (text) =>
        KEY_TEXT.test(text)
          ? Effect.succeed(Option.some(new Uint8Array(Buffer.from(text, "hex"))))
          : Effect.fail(new MediaKeyError({ reason: "malformed", path }))
    })
  )

/**
 * A persisted random 32-byte key: read it, or create it exclusively (`wx`). When another process
 * creates it first (EEXIST), its key is read back, so two servers never end up with two keys.
 * A general helper; the callback key (src/adapters/crypto/CallbackKey.ts) follows the same rule.
 */
export const loadOrCreateKeyFile = (path: string, directory: string): Effect.Effect<Uint8Array, MediaKeyError> =>
  Effect.gen(function*() {
    const existing = yield* readKey(path)
    if (Option.isSome(existing)) return existing.value
    const key = randomBytes(32)
    const created = yield* Effect.try({
      try: () => {
        mkdirSync(directory, { recursive: true, mode: 0o700 })
        writeFileSync(path, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" })
        chmodSync(path, 0o600)
        return true
      },
      catch: (e) => errno(e) === "EEXIST" ? "raced" as const : new MediaKeyError({ reason: "unwritable", path })
    }).pipe(Effect.catchIf((e) => e === "raced", () => Effect.succeed(false)))
    if (created) return new Uint8Array(key)
    const winner = yield* readKey(path)
    return yield* Option.match(winner, {
      onNone: () => Effect.fail(new MediaKeyError({ reason: "unreadable", path })),
      onSome: Effect.succeed
    })
  })

/** The media signing key for this deployment (see the class comment for the rule). */
export const mediaSigningKey = (options: {
  readonly stateDir: string
  readonly adminToken: Option.Option<Redacted.Redacted>
}): Effect.Effect<Redacted.Redacted<Uint8Array>, MediaKeyError> =>
  Effect.map(
    Option.match(options.adminToken, {
      onNone: () => loadOrCreateKeyFile(join(options.stateDir, MEDIA_KEY_FILE), options.stateDir),
      onSome: (token) => Effect.succeed(deriveMediaKey(Redacted.value(token) as string))
    }),
    (key) => Redacted.make(key)
  )
