import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Layer, Option, Scope } from "effect"
import { discordLive } from "../../../src/adapters/discord/DiscordLive.js"
import { ChatDeliveries, type PlatformDelivery } from "../../../src/ports/ChatDelivery.js"
import { startDiscordFake } from "../../e2e/support/DiscordFake.js"
import { load } from "../config/env.js"
import { CHANNEL, GUILD, harness, THREAD } from "./support.js"

/** The adapter registers its delivery when the client is READY, and it sends with that client. */
describe("Discord delivery registration", () => {
  it.live("registers on READY; the registered delivery posts through the logged-in client", () =>
    Effect.gen(function*() {
      const fake = yield* Effect.acquireRelease(
        Effect.promise(() => startDiscordFake({ guilds: [{ id: GUILD, channels: [CHANNEL], threads: [{ id: THREAD, parentId: CHANNEL }] }] })),
        (f) => Effect.promise(() => f.close())
      )
      const registered = yield* Deferred.make<PlatformDelivery>()
      const deliveries = Layer.succeed(ChatDeliveries, ChatDeliveries.of({
        register: (delivery) => Deferred.succeed(registered, delivery),
        forPlatform: () => Effect.succeed(Option.none())
      }))
      const { config } = load({ OPENCLAW_CONNECTOR_DISCORD_TOKEN: fake.token, OPENCLAW_CONNECTOR_DISCORD_API_ROOT: fake.apiRoot })
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(discordLive(config).pipe(Layer.provide(Layer.merge(harness().layer, deliveries))), scope)
      const delivery = yield* Deferred.await(registered).pipe(Effect.timeoutFail({
        duration: Duration.seconds(10),
        onTimeout: () => new Error("no delivery registered")
      }))
      expect(fake.gateway.identifies.length).toBe(1)
      expect(delivery.platform).toBe("discord")
      const receipt = yield* delivery.sendText({ platform: "discord", channelId: CHANNEL, senderId: "1", workspaceId: "", threadId: THREAD }, "done", "k")
      expect(fake.created.map((c) => [c.channelId, c.body.content, c.id])).toEqual([[THREAD, "done", receipt.platformRef]])
      expect(fake.callsTo("POST", `/api/v10/channels/${THREAD}/messages`)[0]!.headers["authorization"]).toBe(`Bot ${fake.token}`)
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.scoped))
})
