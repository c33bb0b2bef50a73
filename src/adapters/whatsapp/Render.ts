import { Option } from "effect"
import { decodeButtonData } from "../../domain/callbacks/ButtonData.js"
import type { RenderedButton } from "../../domain/callbacks/Press.js"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"

/**
 * Cloud API message bodies (spec §5.5). WhatsApp's limits: a text body holds at most 4096
 * characters; an interactive "button" message has 1..3 reply buttons, each title at most 20
 * characters and each id at most 256, and a body text of at most 1024 characters.
 * The reference dropped buttons; here approvals get Approve/Reject reply buttons whose id is the
 * signed button data (never a raw command).
 */
export const TEXT_LIMIT = 4096
export const MAX_BUTTONS = 3
export const TITLE_LIMIT = 20
export const BODY_LIMIT = 1024

/** Cuts to at most `max` characters without splitting a surrogate pair. */
const codePoints = (s: string, max: number): string => {
  const points = Array.from(s)
  return points.length <= max ? s : points.slice(0, max).join("")
}

/** The text bodies for `text`, in order: none for blank text. */
export const textChunks = (text: string): ReadonlyArray<string> => (isBlank(text) ? [] : chunkText(text, TEXT_LIMIT))

export interface ReplyButton {
  /** The signed button data: what WhatsApp sends back as `button_reply.id`. */
  readonly id: string
  readonly title: string
}

export interface ButtonMessage {
  readonly body: string
  readonly buttons: ReadonlyArray<ReplyButton>
}

/**
 * Reply buttons grouped into interactive messages: the buttons of one approval stay together in
 * one message (Approve and Reject side by side), at most 3 per message, in the reply's order.
 * Titles are cut to 20 characters; a title that would repeat one already in its message gets a
 * short ordinal so WhatsApp accepts the message (titles must be unique within it).
 */
export const buttonMessages = (buttons: ReadonlyArray<RenderedButton>): ReadonlyArray<ButtonMessage> => {
  const groups = new Map<string, Array<RenderedButton>>()
  for (const button of buttons) {
    const key = Option.match(decodeButtonData(button.data), { onNone: () => "", onSome: (d) => d.approvalId })
    groups.set(key, [...(groups.get(key) ?? []), button])
  }
  const messages: Array<ButtonMessage> = []
  for (const [approvalId, group] of groups) {
    for (let i = 0; i < group.length; i += MAX_BUTTONS) {
      const titles = new Set<string>()
      const replyButtons = group.slice(i, i + MAX_BUTTONS).map((button, n) => {
        let title = codePoints(button.label.trim() || "Select", TITLE_LIMIT)
        if (titles.has(title)) title = codePoints(title, TITLE_LIMIT - 3) + ` ${n + 1}`
        titles.add(title)
        return { id: button.data, title }
      })
      messages.push({ body: codePoints(approvalId === "" ? "Approval" : `Approval ${approvalId}`, BODY_LIMIT), buttons: replyButtons })
    }
  }
  return messages
}

/** `POST /<version>/<phone number id>/messages` body of one text message. */
export const textPayload = (to: string, body: string) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to,
  type: "text",
  text: { preview_url: false, body }
})

/** `POST /<version>/<phone number id>/messages` body of one reply-button message. */
export const buttonPayload = (to: string, message: ButtonMessage) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to,
  type: "interactive",
  interactive: {
    type: "button",
    body: { text: message.body },
    action: { buttons: message.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })) }
  }
})

export type OutboundPayload = ReturnType<typeof textPayload> | ReturnType<typeof buttonPayload>
