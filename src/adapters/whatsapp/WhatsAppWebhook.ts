import { Clock, Effect, Either, Option, type Redacted } from "effect"
import type { FreshnessWindow } from "../../domain/ingress/Freshness.js"
import { admitInbound, releaseInbound } from "../../domain/ingress/Ingress.js"
import { makeProcessingGate } from "../http/ProcessingGate.js"
import type { RawRequest, RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { makeGraphClient } from "./GraphApi.js"
import { type Planned, planDelivery, untrustedNote } from "./Inbound.js"
import { decodeDelivery, malformedText, statusCountOf } from "./Payload.js"
import { countInbound, processAdmitted, type WhatsAppRequirements } from "./Process.js"
import { checkDeliverySignature, handshake, INVALID_SIGNATURE } from "./Verify.js"

/**
 * The WhatsApp Cloud API webhook (spec platforms-webhook-polling.md §5; bugs W1-W4 fixed).
 *
 * GET is Meta's verification handshake (constant-time token check). POST, in order:
 * 1. `X-Hub-Signature-256` over the raw bytes; no app secret configured refuses every POST
 *    (W1). Failure: 401 `Invalid Signature`, nothing decoded.
 * 2. Decode: bad UTF-8, bad JSON or a non-object: 400 `Bad JSON`; a field we read with the wrong
 *    type, or any message with a missing/non-numeric timestamp: 400 `Bad Request` (W4: was 500).
 *    Nothing of a refused delivery is claimed, so Meta's retry of a fixed delivery is not lost.
 * 3. `object` other than `whatsapp_business_account`: 200 `OK`, ignored. Statuses and other
 *    message types are acknowledged and ignored; messages without an id, without a sender, or
 *    outside the freshness window (300 s past, 60 s ahead) are skipped one by one and logged.
 * 4. Every remaining message is claimed (`whatsapp:<id>`) before the answer. If the store cannot
 *    hold a claim, the claims already taken for this delivery are released and the answer is
 *    503: nothing runs, Meta redelivers. Duplicates are acknowledged and not run again.
 * 5. 200 `OK`, then the admitted messages run in order after the answer (Meta waits only a few
 *    seconds), bounded by a processing gate.
 */
export interface WhatsAppRouteOptions {
  readonly path: string
  readonly verifyToken: Option.Option<Redacted.Redacted>
  readonly appSecret: Option.Option<Redacted.Redacted>
  readonly accessToken: Option.Option<Redacted.Redacted>
  readonly phoneNumberId: Option.Option<string>
  /** OPENCLAW_CONNECTOR_WHATSAPP_ALLOWED_USERS: only logged here; the core decides trust. */
  readonly allowedUsers: ReadonlyArray<string>
  readonly apiRoot: string
  readonly graphVersion: string
  /** Deliveries processed at once after their answer (default 8); more wait before being answered. */
  readonly maxConcurrentDeliveries?: number
  readonly freshness?: FreshnessWindow
  /** Timeout of each Graph API call (default 10 s). */
  readonly apiTimeoutMillis?: number
}

const OK: RawResponse = { status: 200, body: "OK" }
const UNAVAILABLE: RawResponse = { status: 503, body: "Service Unavailable" }

type Admissible = Exclude<Planned, { readonly _tag: "Skip" }>

/** The GET (handshake) and POST (notifications) routes on `options.path`. */
export const whatsappRoutes = (
  options: WhatsAppRouteOptions
): Effect.Effect<ReadonlyArray<WebhookRoute<WhatsAppRequirements>>> =>
  Effect.gen(function*() {
    const gate = yield* makeProcessingGate(options.maxConcurrentDeliveries ?? 8)
    const graph = makeGraphClient({
      apiRoot: options.apiRoot,
      graphVersion: options.graphVersion,
      phoneNumberId: options.phoneNumberId,
      accessToken: options.accessToken,
      ...(options.apiTimeoutMillis === undefined ? {} : { timeoutMillis: options.apiTimeoutMillis })
    })
    // Logged once: every refused POST would otherwise let anyone write a warning line.
    let warnedNoSecret = false

    /** Claims in order; on a refusal releases this delivery's earlier claims and reports it. */
    const admitAll = Effect.fnUntraced(function*(planned: ReadonlyArray<Admissible>) {
      const admitted: Array<Admissible> = []
      for (const item of planned) {
        const admission = yield* Effect.either(admitInbound(item.event))
        if (Either.isLeft(admission)) {
          yield* Effect.logWarning("WhatsApp delivery refused: replay store unavailable", admission.left.reason)
          yield* releaseInbound(admitted.map((done) => done.event))
          return Option.none<ReadonlyArray<Admissible>>()
        }
        if (admission.right._tag === "Duplicate") {
          yield* Effect.logDebug(`WhatsApp duplicate message skipped (${admission.right.outcome})`, item.event.eventKey)
          yield* countInbound("duplicate")
        } else admitted.push(item)
      }
      return Option.some<ReadonlyArray<Admissible>>(admitted)
    })

    const post = Effect.fnUntraced(function*(request: RawRequest) {
      const signature = checkDeliverySignature(request, options.appSecret)
      if (signature !== "valid") {
        if (signature === "missing-secret" && !warnedNoSecret) {
          warnedNoSecret = true
          yield* Effect.logWarning(
            "WhatsApp POST refused: OPENCLAW_CONNECTOR_WHATSAPP_APP_SECRET is not set, so no delivery can be verified"
          )
        } else if (signature !== "missing-secret") {
          yield* Effect.logDebug(`WhatsApp POST refused: signature ${signature}`)
        }
        yield* countInbound("unauthenticated")
        return INVALID_SIGNATURE
      }

      const decoded = decodeDelivery(request.body)
      if (Either.isLeft(decoded)) {
        yield* Effect.logInfo(`WhatsApp delivery refused: ${decoded.left.reason}`)
        yield* countInbound("malformed")
        return { status: 400, body: malformedText(decoded.left) } satisfies RawResponse
      }
      if (decoded.right._tag === "OtherObject") {
        yield* countInbound("ignored")
        return OK
      }
      const notification = decoded.right.notification
      const statuses = statusCountOf(notification)
      if (statuses > 0) yield* Effect.logDebug(`WhatsApp status updates acknowledged: ${statuses}`)

      const planned = planDelivery(notification, yield* Clock.currentTimeMillis, options.freshness)
      const admissible: Array<Admissible> = []
      for (const item of planned) {
        if (item._tag !== "Skip") {
          admissible.push(item)
          continue
        }
        const stale = item.reason === "stale" || item.reason === "future"
        if (stale) yield* Effect.logInfo(`WhatsApp message skipped: Replay rejected (${item.reason} timestamp)`, item.messageId)
        else if (item.reason === "empty-id" || item.reason === "no-sender") {
          yield* Effect.logInfo(`WhatsApp message skipped: ${item.reason === "empty-id" ? "no message id, cannot be deduplicated" : "no sender"}`)
        } else yield* Effect.logDebug(`WhatsApp message ignored (${item.reason})`, item.messageId)
        yield* countInbound(stale ? "stale" : "ignored")
      }
      for (const item of admissible) {
        const note = untrustedNote(options.allowedUsers, item.event.request.senderId)
        // Debug, not info: every stranger message would otherwise write a line (the core decides trust).
        if (note !== undefined) yield* Effect.logDebug(`Untrusted WhatsApp message from user=${item.event.request.senderId} (${note})`)
      }
      if (admissible.length === 0) return OK

      const admitted = yield* admitAll(admissible)
      if (Option.isNone(admitted)) {
        yield* countInbound("refused", admissible.length)
        return UNAVAILABLE
      }
      if (admitted.value.length === 0) return OK
      return yield* gate.answerThen(
        OK,
        processAdmitted(graph, admitted.value),
        releaseInbound(admitted.value.map((item) => item.event))
      )
    })

    const get = (request: RawRequest) => Effect.succeed(handshake(request.query, options.verifyToken))

    return [
      { method: "GET", path: options.path, handle: get },
      { method: "POST", path: options.path, handle: post }
    ] satisfies ReadonlyArray<WebhookRoute<WhatsAppRequirements>>
  })
