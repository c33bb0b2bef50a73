import { Effect } from "effect"
import { kakaoRoute } from "../../../src/adapters/kakao/KakaoWebhook.js"
import { skillRequest } from "../../e2e/support/KakaoClient.js"
import type { DriverRequest, WebhookDriver } from "../WebhookDriver.js"

const PATH = "/kakao/webhook"

const post = (body: string | Uint8Array): DriverRequest => ({
  method: "POST",
  target: PATH,
  headers: { "content-type": "application/json" },
  body
})

/**
 * KakaoTalk in the webhook contract. Kakao signs nothing (bug K1; the strict profile gate covers
 * it) and sends no timestamp, so the credential and freshness cases do not apply. Duplicates are
 * answered 200 with a valid SkillResponse; the answer itself carries the reply.
 */
export const kakaoDriver: WebhookDriver = {
  platform: "kakao",
  routes: () => Effect.succeed([kakaoRoute({ path: PATH, allowedUsers: [] })]),
  message: (n, text) => post(JSON.stringify(skillRequest({ userId: `contract-user-${n}`, utterance: text }))),
  undecodable: () => post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
  statuses: { ok: 200, duplicate: 200, undecodable: 400 },
  repliesOutOfBand: false
}
