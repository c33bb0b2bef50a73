import { Effect, Layer, Redacted } from "effect"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { makeTelegramApi, type TelegramApi } from "../../../src/adapters/telegram/TelegramApi.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { startTelegramApiFake, type TelegramApiFake } from "../../e2e/support/TelegramApiFake.js"

export const TOKEN = "123456:unit-test-token"

export interface ApiFixture {
  readonly telegram: TelegramApiFake
  readonly api: TelegramApi
  readonly health: PlatformHealth["Type"]
}

/** A fake Bot API on 127.0.0.1 and the real client against it, for one test; closed afterwards. */
export const apiFixture = <A, E, R = never>(
  body: (f: ApiFixture) => Effect.Effect<A, E, R>,
  options: { readonly token?: string; readonly holdMillis?: number } = {}
): Effect.Effect<A, E, Exclude<R, PlatformHealth>> =>
  Effect.acquireUseRelease(
    Effect.promise(() => startTelegramApiFake({ token: TOKEN, ...(options.holdMillis === undefined ? {} : { holdMillis: options.holdMillis }) })),
    (telegram) =>
      Effect.gen(function*() {
        const health = yield* PlatformHealth
        const api = yield* makeTelegramApi({ token: Redacted.make(options.token ?? TOKEN), apiRoot: `${telegram.url}/` })
        return yield* body({ telegram, api, health })
      }).pipe(Effect.provide(Layer.fresh(PlatformHealthMemory))),
    (telegram) => Effect.promise(() => telegram.close())
  )
