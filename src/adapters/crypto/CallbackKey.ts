import { hkdfSync } from "node:crypto"
import { join } from "node:path"
import { Effect, Layer, Option, Redacted, Schema } from "effect"
import type { CallbackSigner } from "../../ports/CallbackSigner.js"
import { CallbackSignerHmac } from "./CallbackSignerHmac.js"
import { loadOrCreateKeyFile } from "./KeyFile.js"

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
  loadOrCreateKeyFile(join(stateDir, KEY_FILE), stateDir).pipe(
    Effect.map((key) => Buffer.from(key).toString("hex")),
    Effect.mapError((e) => new CallbackKeyError({ reason: e.reason, path: e.path }))
  )

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
