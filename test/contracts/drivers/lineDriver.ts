import { Effect, Redacted } from "effect"
import { lineRoute } from "../../../src/adapters/line/LineWebhook.js"
import { deliveryBody, lineSignature, textEvent } from "../../e2e/support/LineClient.js"
import type { DriverRequest, WebhookDriver } from "../WebhookDriver.js"

/**
 * LINE for the shared webhook contract suite: signed deliveries of one DM text event. The
 * signature is the credential; a stale event is acknowledged 200 and skipped (LINE must not
 * redeliver it), and replies go out through the reply API after the answer.
 */
const SECRET = "contract-line-channel-secret"
const ACCESS_TOKEN = "contract-line-access-token"
const PATH = "/line/webhook"

const signed = (body: string | Uint8Array, secret = SECRET): DriverRequest => ({
  method: "POST",
  target: PATH,
  headers: { "content-type": "application/json; charset=utf-8", "x-line-signature": lineSignature(secret, body) },
  body
})

const withoutHeader = (request: DriverRequest, name: string): DriverRequest => ({
  ...request,
  headers: Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== name))
})

export const lineDriver: WebhookDriver = {
  platform: "line",
  routes: (env) =>
    Effect.map(
      lineRoute({
        path: PATH,
        channelSecret: Redacted.make(SECRET),
        channelAccessToken: Redacted.make(ACCESS_TOKEN),
        apiRoot: env.platformApiRoot,
        allowedUsers: [],
        allowedGroups: []
      }),
      (route) => [route]
    ),
  platformAnswer: () => ({}),
  message: (n, text) => signed(deliveryBody([textEvent(text, { userId: `Ucontract${n}` })])),
  withoutCredential: (request) => withoutHeader(request, "x-line-signature"),
  withWrongCredential: (request) => ({
    ...withoutHeader(request, "x-line-signature"),
    headers: { ...withoutHeader(request, "x-line-signature").headers, "x-line-signature": lineSignature("not-the-secret", request.body) }
  }),
  stale: (n, text) => signed(deliveryBody([textEvent(text, { userId: `Ucontract${n}`, timestamp: Date.now() - 400_000 })])),
  undecodable: () => signed(Buffer.from([0x7b, 0x22, 0x65, 0xc3, 0x28, 0x22, 0x7d])),
  statuses: {
    ok: 200,
    duplicate: 200,
    undecodable: 400,
    missingCredential: 401,
    wrongCredential: 401,
    stale: 200
  },
  repliesOutOfBand: true
}
