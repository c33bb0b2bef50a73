import { randomBytes } from "node:crypto"
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { Effect, Option, Schema } from "effect"

/**
 * Persisted random keys (`callback.key`, `media.key`, `vault.key`): 32 bytes in hex, mode 0600,
 * created once. A file that exists but does not hold a key stops startup instead of silently
 * minting a new key (which would invalidate every button, link or stored secret made before).
 */
export class KeyFileError extends Schema.TaggedError<KeyFileError>()("KeyFileError", {
  reason: Schema.Literal("unreadable", "unwritable", "malformed"),
  path: Schema.String
}) {
  override get message(): string {
    return `key file ${this.reason}: ${this.path}`
  }
}

const KEY_TEXT = /^[0-9a-f]{64}$/

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code

const readKey = (path: string): Effect.Effect<Option.Option<Uint8Array>, KeyFileError> =>
  Effect.flatMap(
    Effect.try({
      try: () => Option.some(readFileSync(path, "utf8").trim()),
      catch: (e) => errno(e) === "ENOENT" ? "absent" as const : new KeyFileError({ reason: "unreadable", path })
    }).pipe(Effect.catchIf((e) => e === "absent", () => Effect.succeed(Option.none<string>()))),
    Option.match({
      onNone: () => Effect.succeed(Option.none()),
      onSome: (text) =>
        KEY_TEXT.test(text)
          ? Effect.succeed(Option.some(new Uint8Array(Buffer.from(text, "hex"))))
          : Effect.fail(new KeyFileError({ reason: "malformed", path }))
    })
  )

/**
 * A persisted random 32-byte key: read it, or create it exclusively (`wx`). When another process
 * creates it first (EEXIST), its key is read back, so two servers never end up with two keys.
 */
export const loadOrCreateKeyFile = (path: string, directory: string): Effect.Effect<Uint8Array, KeyFileError> =>
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
      catch: (e) => errno(e) === "EEXIST" ? "raced" as const : new KeyFileError({ reason: "unwritable", path })
    }).pipe(Effect.catchIf((e) => e === "raced", () => Effect.succeed(false)))
    if (created) return new Uint8Array(key)
    const winner = yield* readKey(path)
    return yield* Option.match(winner, {
      onNone: () => Effect.fail(new KeyFileError({ reason: "unreadable", path })),
      onSome: Effect.succeed
    })
  })
