import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Redacted, Scope } from "effect"
import { ChatDeliveriesRegistry } from "../../../src/adapters/delivery/ChatDeliveriesRegistry.js"
import { MemoryStorage } from "../../../src/adapters/storage/memory/MemoryStorage.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { makeTelegramDelivery } from "../../../src/adapters/telegram/Delivery.js"
import { makeTelegramOutbox } from "../../../src/adapters/telegram/Outbox.js"
import { makeTelegramApi } from "../../../src/adapters/telegram/TelegramApi.js"
import { telegramLive } from "../../../src/adapters/telegram/TelegramLive.js"
import { ChatDeliveries } from "../../../src/ports/ChatDelivery.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { startTelegramApiFake } from "../../e2e/support/TelegramApiFake.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { settingsLayer } from "../../support/Builders.js"
import { load } from "../config/env.js"

/** Deliveries sharing the chat queue with replies; their fate at shutdown; registration by the adapter. */

const TOKEN = "123456:queue-test-token"
const target = (channelId: string) => ({ platform: "telegram", channelId, senderId: "1", workspaceId: "", threadId: "" })

const withFake = <A, E, R>(body: (telegram: Awaited<ReturnType<typeof startTelegramApiFake>>) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startTelegramApiFake({ token: TOKEN, holdMillis: 200 })),
    body,
    (telegram) => Effect.promise(() => telegram.close())
  )

describe("Telegram deliveries in the outbox queue", () => {
  it.live("a delivery waits behind the chat's queued replies, so the chat reads in order", () =>
    withFake((telegram) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const api = yield* makeTelegramApi({ token: Redacted.make(TOKEN), apiRoot: telegram.url })
        const outbox = yield* makeTelegramOutbox(api).pipe(Scope.extend(scope))
        const delivery = makeTelegramDelivery({ api, outbox })
        telegram.fail("sendMessage", { status: 429, retryAfter: 1 })
        yield* outbox.send({ chatId: 5, threadId: undefined }, "reply")
        const receipt = yield* delivery.sendText(target("5"), "result", "k")
        expect(telegram.callsTo("sendMessage").map((c) => c.body.text)).toEqual(["reply", "reply", "result"])
        expect(receipt.platformRef).toBe("2")
        yield* Scope.close(scope, Exit.void)
      })
    ).pipe(Effect.provide(Layer.fresh(PlatformHealthMemory))))

  it.live("closing the outbox tells waiting deliveries (unknown-outcome in flight, unavailable queued), and refuses new ones", () =>
    withFake((telegram) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const api = yield* makeTelegramApi({ token: Redacted.make(TOKEN), apiRoot: telegram.url })
        const outbox = yield* makeTelegramOutbox(api, { drainMillis: 50 }).pipe(Scope.extend(scope))
        const delivery = makeTelegramDelivery({ api, outbox })
        telegram.stall("sendMessage")
        const inFlight = yield* Effect.fork(delivery.sendText(target("5"), "one", "k1"))
        yield* Effect.promise(() => telegram.waitFor((c) => c.some((x) => x.method === "sendMessage")))
        const queued = yield* Effect.fork(delivery.sendText(target("5"), "two", "k2"))
        yield* Scope.close(scope, Exit.void)
        expect((yield* Effect.flip(Fiber.join(inFlight))).reason).toBe("unknown-outcome")
        expect((yield* Effect.flip(Fiber.join(queued))).reason).toBe("unavailable")
        expect((yield* Effect.flip(delivery.sendText(target("5"), "three", "k3"))).reason).toBe("unavailable")
        expect(telegram.callsTo("sendMessage").length).toBe(1)
      })
    ).pipe(Effect.provide(Layer.fresh(PlatformHealthMemory))))

  it.live("the adapter registers its delivery once the bot answered getMe", () =>
    withFake((telegram) =>
      Effect.gen(function*() {
        const { config } = load({ OPENCLAW_CONNECTOR_TELEGRAM_TOKEN: TOKEN, OPENCLAW_CONNECTOR_TELEGRAM_API_ROOT: telegram.url })
        const services = Layer.mergeAll(
          MemoryStorage,
          makeBackendStub().layer,
          settingsLayer(),
          Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) })),
          CallbackSignerHmac.layer(Redacted.make("k")),
          PlatformHealthMemory,
          ChatDeliveriesRegistry
        )
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(Layer.provideMerge(telegramLive(config), services), scope)
        const deliveries = yield* Effect.provide(ChatDeliveries, context)
        yield* Effect.promise(() => telegram.waitFor((c) => c.some((x) => x.method === "getUpdates")))
        const registered = yield* deliveries.forPlatform("telegram")
        expect(Option.isSome(registered)).toBe(true)
        const receipt = yield* Option.getOrThrow(registered).sendText(target("-100777"), "from the worker", "k")
        expect(telegram.callsTo("sendMessage").at(-1)!.body).toEqual({ chat_id: -100777, text: "from the worker" })
        expect(receipt.rung).toBe("text")
        yield* Scope.close(scope, Exit.void)
      })
    ))
})
