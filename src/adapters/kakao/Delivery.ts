import { Effect, Layer } from "effect"
import { ChatDeliveries, DeliveryError, type PlatformDelivery } from "../../ports/ChatDelivery.js"

/**
 * KakaoTalk cannot deliver anything after the skill response: there is no push API for a chatbot
 * channel, and a skill's callback URL (`callbackUrl`, used by Callback.ts for slow replies) is
 * single-use and expires about a minute after the request. So results that arrive later cannot
 * reach the user (the reference dropped them silently, spec §6 KakaoTalk row).
 *
 * This delivery is registered anyway so the worker finds the platform and ends such ledger
 * entries as failed with a clear logged reason, instead of keeping them pending forever: every
 * send is `unsupported` with the message below; typing is a no-op.
 */
export const KAKAO_NO_PUSH =
  "KakaoTalk has no push API: results that finish after the skill response (or its single-use callback) cannot be delivered"

const unsupported = () => Effect.fail(new DeliveryError({ reason: "unsupported", message: KAKAO_NO_PUSH }))

export const kakaoDelivery: PlatformDelivery = {
  platform: "kakao",
  canEdit: false,
  idempotentSends: false,
  pushes: false,
  sendText: unsupported,
  editText: unsupported,
  sendImage: unsupported,
  sendDocument: unsupported,
  typing: () => Effect.void
}

/** Registers `kakaoDelivery` at layer start (main.ts merges it into the Kakao layer). */
export const KakaoDeliveryLive: Layer.Layer<never, never, ChatDeliveries> = Layer.effectDiscard(
  Effect.flatMap(ChatDeliveries, (deliveries) => deliveries.register(kakaoDelivery))
)
