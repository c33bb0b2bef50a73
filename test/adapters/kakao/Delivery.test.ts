import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { KAKAO_NO_PUSH, kakaoDelivery, KakaoDeliveryLive } from "../../../src/adapters/kakao/Delivery.js"
import { ChatDeliveriesRegistry } from "../../../src/adapters/delivery/ChatDeliveriesRegistry.js"
import { ChatDeliveries, type DeliveryError } from "../../../src/ports/ChatDelivery.js"

const target = { platform: "kakao", channelId: "kakao-user", senderId: "kakao-user", workspaceId: "", threadId: "" }
const image = { bytes: new Uint8Array(8), filename: "ComfyUI_00001_.png", contentType: "image/png" }

const reasonOf = <A>(exit: Exit.Exit<A, DeliveryError>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? [exit.cause.error.reason, exit.cause.error.message] : ["success"]

describe("KakaoTalk delivery: no push API", () => {
  it.effect("every send fails unsupported with the reason the worker logs; typing is a no-op", () =>
    Effect.gen(function*() {
      const unsupported = ["unsupported", KAKAO_NO_PUSH]
      expect(reasonOf(yield* Effect.exit(kakaoDelivery.sendText(target, "✅ done", "k")))).toEqual(unsupported)
      expect(reasonOf(yield* Effect.exit(kakaoDelivery.sendImage(target, image, "k")))).toEqual(unsupported)
      expect(reasonOf(yield* Effect.exit(kakaoDelivery.sendDocument(target, image, "k")))).toEqual(unsupported)
      expect(reasonOf(yield* Effect.exit(kakaoDelivery.editText(target, "", "x")))).toEqual(unsupported)
      yield* kakaoDelivery.typing(target)
      expect([kakaoDelivery.canEdit, kakaoDelivery.idempotentSends]).toEqual([false, false])
    }))

  it.effect("the layer registers it, so the worker finds the platform instead of waiting for it", () =>
    Effect.gen(function*() {
      const deliveries = yield* ChatDeliveries
      const found = yield* deliveries.forPlatform("kakao")
      expect(Option.map(found, (d) => d.platform)).toEqual(Option.some("kakao"))
    }).pipe(Effect.provide(Layer.provideMerge(KakaoDeliveryLive, ChatDeliveriesRegistry))))
})
