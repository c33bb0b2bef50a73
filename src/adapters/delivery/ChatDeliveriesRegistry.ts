import { Effect, Layer, Option } from "effect"
import { ChatDeliveries, type PlatformDelivery } from "../../ports/ChatDelivery.js"

/** The process's registry of platform deliveries; an adapter registering again replaces itself. */
export const ChatDeliveriesRegistry: Layer.Layer<ChatDeliveries> = Layer.sync(ChatDeliveries, () => {
  const byPlatform = new Map<string, PlatformDelivery>()
  return ChatDeliveries.of({
    register: (delivery) => Effect.sync(() => void byPlatform.set(delivery.platform.toLowerCase(), delivery)),
    forPlatform: (platform) => Effect.sync(() => Option.fromNullable(byPlatform.get(platform.toLowerCase())))
  })
})
