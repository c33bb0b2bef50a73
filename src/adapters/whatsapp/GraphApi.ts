import { Effect, Option, Redacted, Schema } from "effect"
import type { PlatformHealth } from "../../ports/PlatformHealth.js"
import { type ApiAnswer, callPlatformApi, type PlatformCallError } from "../http/PlatformApi.js"
import type { OutboundPayload } from "./Render.js"

/**
 * Sending through the WhatsApp Cloud (Graph) API: `POST <apiRoot>/<graphVersion>/<phone number
 * id>/messages` with `Authorization: Bearer <access token>` (fix W3: the version is configurable).
 * Every call goes through `callPlatformApi`: bounded, 429/5xx retried without ever sending a
 * message twice, 401/410 recorded as the installation's health, URL and token never logged.
 */
export interface GraphApiOptions {
  readonly apiRoot: string
  readonly graphVersion: string
  readonly phoneNumberId: Option.Option<string>
  readonly accessToken: Option.Option<Redacted.Redacted>
  readonly timeoutMillis?: number
  /** First backoff step of the 429/5xx retries (PlatformApi's default when absent). */
  readonly backoffMillis?: number
}

/** Nothing can be sent: the phone number id or access token is not configured. */
export class WhatsAppNotConfigured extends Schema.TaggedError<WhatsAppNotConfigured>()("WhatsAppNotConfigured", {
  reason: Schema.Literal("phone-number-id-missing", "access-token-missing")
}) {}

export interface GraphClient {
  /** Sends one message; fails without calling anything when the sender is not configured. */
  readonly send: (payload: OutboundPayload) => Effect.Effect<void, PlatformCallError | WhatsAppNotConfigured, PlatformHealth>
  /** Sends any message body (image, document...) and gives back Graph's answer (`messages[0].id`). */
  readonly post: (payload: object) => Effect.Effect<ApiAnswer, PlatformCallError | WhatsAppNotConfigured, PlatformHealth>
}

const NOT_CONFIGURED_WARNING = {
  "phone-number-id-missing":
    "WhatsApp replies cannot be sent: OPENCLAW_CONNECTOR_WHATSAPP_PHONE_NUMBER_ID is not set (inbound messages are still processed)",
  "access-token-missing": "WhatsApp replies cannot be sent: OPENCLAW_CONNECTOR_WHATSAPP_ACCESS_TOKEN is not set"
} as const

export const makeGraphClient = (options: GraphApiOptions): GraphClient => {
  const root = options.apiRoot.replace(/\/+$/, "")
  const phoneNumberId = Option.filter(options.phoneNumberId, (id) => id.trim() !== "")
  const target = Option.isNone(phoneNumberId)
    ? "phone-number-id-missing" as const
    : Option.isNone(options.accessToken)
    ? "access-token-missing" as const
    : {
      url: `${root}/${encodeURIComponent(options.graphVersion)}/${encodeURIComponent(phoneNumberId.value)}/messages`,
      token: options.accessToken.value
    }
  // The warning is logged once per client (once per process in main), not per message.
  let warned = false

  const post = Effect.fnUntraced(function*(payload: object) {
    if (typeof target === "string") {
      if (!warned) {
        warned = true
        yield* Effect.logWarning(NOT_CONFIGURED_WARNING[target])
      }
      return yield* new WhatsAppNotConfigured({ reason: target })
    }
    return yield* callPlatformApi({
      platform: "whatsapp",
      method: "POST",
      url: target.url,
      headers: { authorization: `Bearer ${Redacted.value(target.token) as string}` },
      json: payload,
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis }),
      ...(options.backoffMillis === undefined ? {} : { backoffMillis: options.backoffMillis })
    })
  })

  const send = (payload: OutboundPayload) => Effect.asVoid(post(payload))

  return { send, post }
}
