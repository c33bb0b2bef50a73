import { hkdfSync, randomBytes } from "node:crypto"
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import type { CallbackSigner } from "../../ports/CallbackSigner.js"
import { CallbackSignerHmac } from "./CallbackSignerHmac.js"

/**
 * The key that signs the connector's own buttons (LINE postbacks, WhatsApp reply buttons,
 * Telegram/Discord/Slack later). It must survive restarts, or every button sent before a restart
 * stops working:
 * - with `OPENCLAW_CONNECTOR_SECRET_KEY`, it is derived from it with HKDF-SHA256 (one secret to
 *   manage, shared by replicas);
 * - otherwise a random 32-byte key is created once in `<state dir>/callback.key` with mode 0600.
 * The key is never logged.
 */
export class CallbackKeyError extends Schema.TaggedError<CallbackKeyError>()("CallbackKeyError", {
  reason: Schema.Literal("unreadable", "unwritable", "malformed"),
  path: Schema.String
}) {
  override get message(): string {
    return `callback signing key ${this.reason}: ${this.path}`
  }
}

const KEY_FILE = "callback.key"

const deriveFrom = (secret: string): string =>
  Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), "openclaw-connector/callback-signing/v1", 32))
    .toString("hex")

const loadOrCreate = (stateDir: string): Effect.Effect<string, CallbackKeyError> =>
  Effect.gen(function*() {
    const path = join(stateDir, KEY_FILE)
    const existing = yield* Effect.try({
      try: () => readFileSync(path, "utf8").trim(),
      catch: (e) => (e as NodeJS.ErrnoException).code === "ENOENT" ? "absent" as const : new CallbackKeyError({ reason: "unreadable", path })
    }).pipe(Effect.catchIf((e) => e === "absent", () => Effect.succeed(undefined)))
    if (existing !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(existing)) return yield* new CallbackKeyError({ reason: "malformed", path })
      return existing
    }
    const key = randomBytes(32).toString("hex")
    yield* Effect.try({
      try: () => {
        mkdirSync(stateDir, { recursive: true })
        writeFileSync(path, key + "\n", { mode: 0o600, flag: "wx" })
        chmodSync(path, 0o600)
      },
      catch: () => new CallbackKeyError({ reason: "unwritable", path })
    })
    return key
  })

export const CallbackKey = {
  layer: (options: {
    readonly stateDir: string
    readonly secretKey: Option.Option<Redacted.Redacted>
  }): Layer.Layer<CallbackSigner, CallbackKeyError> =>
    Layer.unwrapEffect(
      Effect.map(
        Option.match(options.secretKey, {
          onNone: () => loadOrCreate(options.stateDir),
          onSome: (secret) => Effect.succeed(deriveFrom(Redacted.value(secret) as string))
        }),
        (key) => CallbackSignerHmac.layer(Redacted.make(key))
      )
    )
}
