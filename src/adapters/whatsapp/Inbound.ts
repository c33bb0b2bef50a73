import { isButtonData } from "../../domain/callbacks/ButtonData.js"
import { DEFAULT_FRESHNESS, type FreshnessWindow, freshnessOf, replayTtlMillisFor } from "../../domain/ingress/Freshness.js"
import type { InboundEvent } from "../../domain/ingress/Ingress.js"
import type { CommandRequest } from "../../domain/model/Request.js"
import { type ChangeValue, type InboundMessage, messagesOf, type Notification, timestampMillis } from "./Payload.js"

/**
 * What each message of a verified delivery becomes (spec §5.4, bugs W4 and G1 fixed):
 * - a text message, or a reply-button press carrying our signed button data, is an inbound event
 *   keyed `whatsapp:<message id>` and remembered for `replayTtlMillisFor(window)`;
 * - everything else is skipped with a reason: other message types and foreign buttons
 *   (acknowledged and ignored), messages without an id (they cannot be deduplicated safely, so
 *   they never share a key: W4), without a sender, or outside the freshness window.
 * WhatsApp Cloud API conversations are 1:1 with the business number, so every event is a DM and
 * the shared-chat rule (G1) never silences one.
 */

export type SkipReason = "unsupported-type" | "foreign-button" | "empty-id" | "no-sender" | "stale" | "future"

export type Planned =
  | { readonly _tag: "Command"; readonly event: InboundEvent }
  /** A press of one of our reply buttons; `data` is the button's id (signed button data). */
  | { readonly _tag: "Press"; readonly event: InboundEvent; readonly data: string }
  | { readonly _tag: "Skip"; readonly reason: SkipReason; readonly messageId: string }

export const DEFAULT_USERNAME = "whatsapp_user"

/** The sender's profile name from the change's `contacts` (wa_id == from), else a fixed word. */
export const usernameOf = (value: ChangeValue, from: string): string => {
  const name = value.contacts?.find((c) => c.wa_id === from)?.profile?.name
  return typeof name === "string" && name.trim() !== "" ? name : DEFAULT_USERNAME
}

export const commandRequestOf = (message: InboundMessage, value: ChangeValue, text: string): CommandRequest => {
  const from = message.from ?? ""
  return {
    platform: "whatsapp",
    senderId: from,
    channelId: from,
    username: usernameOf(value, from),
    messageId: message.id ?? "",
    text,
    workspaceId: "",
    threadId: "",
    channelKind: "dm"
  }
}

export const eventKeyOf = (messageId: string): string => `whatsapp:${messageId}`

/** One message's plan; `nowMillis` is our clock. Timestamps were validated by the decoder. */
export const planMessage = (
  message: InboundMessage,
  value: ChangeValue,
  nowMillis: number,
  window: FreshnessWindow = DEFAULT_FRESHNESS
): Planned => {
  const messageId = message.id ?? ""
  const skip = (reason: SkipReason): Planned => ({ _tag: "Skip", reason, messageId })
  let content: { readonly text: string } | { readonly press: string }
  if (message.type === "text" && typeof message.text?.body === "string") {
    content = { text: message.text.body }
  } else if (message.type === "interactive" && message.interactive?.type === "button_reply" && message.interactive.button_reply) {
    const id = message.interactive.button_reply.id
    if (!isButtonData(id)) return skip("foreign-button")
    content = { press: id }
  } else {
    return skip("unsupported-type")
  }
  if (messageId.trim() === "") return skip("empty-id")
  if ((message.from ?? "").trim() === "") return skip("no-sender")
  const sentAt = timestampMillis(message.timestamp)
  const freshness = sentAt === undefined ? "stale" : freshnessOf(nowMillis, sentAt, window)
  if (freshness !== "fresh") return skip(freshness)

  const replayTtlMillis = replayTtlMillisFor(window)
  const eventKey = eventKeyOf(messageId)
  if ("text" in content) {
    return { _tag: "Command", event: { request: commandRequestOf(message, value, content.text), eventKey, replayTtlMillis } }
  }
  const title = message.interactive?.button_reply?.title ?? ""
  return {
    _tag: "Press",
    data: content.press,
    event: { request: commandRequestOf(message, value, title), eventKey, replayTtlMillis }
  }
}

/** Every message of the delivery, planned, in delivery order. */
export const planDelivery = (
  notification: Notification,
  nowMillis: number,
  window: FreshnessWindow = DEFAULT_FRESHNESS
): ReadonlyArray<Planned> =>
  messagesOf(notification).map(({ message, value }) => planMessage(message, value, nowMillis, window))

/**
 * The reference's log-only allowlist (trimmed, case-insensitive): the verdict is only logged.
 * Trust itself is decided by the core from Settings, exactly and case-sensitively.
 */
export const untrustedNote = (allowedUsers: ReadonlyArray<string>, userId: string): string | undefined => {
  const normalised = allowedUsers.map((u) => u.trim().toLowerCase()).filter((u) => u !== "")
  if (normalised.length === 0) return "Allow list empty; all users will require approval"
  return normalised.includes(userId.trim().toLowerCase()) ? undefined : "Not in allowlist; approval required"
}
