import { Option, Redacted } from "effect"
import { whatsappRoutes } from "../../../src/adapters/whatsapp/WhatsAppWebhook.js"
import { notification, signatureOf, textMessage } from "../../e2e/support/WhatsAppClient.js"
import type { DriverRequest, WebhookDriver } from "../WebhookDriver.js"

/**
 * The WhatsApp Cloud API webhook in the shared webhook contract suite: deliveries are signed with
 * `X-Hub-Signature-256` over the raw body; stale messages are skipped one by one and the delivery
 * is still acknowledged (200), as are duplicates; replies go out through the Graph API after the
 * answer.
 */
const APP_SECRET = "contract-wa-app-secret"
const PATH = "/whatsapp/webhook"
const HEADER = "x-hub-signature-256"

let sequence = 0
const seconds = (offset = 0) => String(Math.floor(Date.now() / 1000) + offset)

const signed = (body: string | Uint8Array): DriverRequest => ({
  method: "POST",
  target: PATH,
  headers: { "content-type": "application/json", [HEADER]: signatureOf(APP_SECRET, body) },
  body
})

const delivery = (n: number, text: string, timestamp: string) =>
  signed(JSON.stringify(notification([
    textMessage({ from: `1555000${n}`, id: `wamid.contract-${n}-${++sequence}-${Date.now()}`, text, timestamp })
  ])))

export const whatsappDriver: WebhookDriver = {
  platform: "whatsapp",
  routes: ({ platformApiRoot }) =>
    whatsappRoutes({
      path: PATH,
      verifyToken: Option.some(Redacted.make("contract-verify-token")),
      appSecret: Option.some(Redacted.make(APP_SECRET)),
      accessToken: Option.some(Redacted.make("contract-access-token")),
      phoneNumberId: Option.some("106540352242922"),
      allowedUsers: [],
      apiRoot: platformApiRoot,
      graphVersion: "v19.0"
    }),
  platformAnswer: () => ({ messaging_product: "whatsapp", contacts: [], messages: [{ id: "wamid.contract-sent" }] }),
  message: (n, text) => delivery(n, text, seconds()),
  withoutCredential: (request) => {
    const { [HEADER]: _removed, ...headers } = request.headers
    return { ...request, headers }
  },
  withWrongCredential: (request) => ({
    ...request,
    headers: { ...request.headers, [HEADER]: signatureOf("not-the-app-secret", request.body) }
  }),
  stale: (n, text) => delivery(n, text, seconds(-600)),
  undecodable: (n) => signed(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0xc3, 0x28, n % 10 + 0x30, 0x7d])),
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
