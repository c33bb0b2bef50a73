import type { RenderedButton } from "../../domain/callbacks/Press.js"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"

/**
 * A core reply as LINE message objects, within LINE's real limits (bug L4 fixed: the reference cut
 * replies at 4000 characters and pushes silently at 2000):
 * - a text message holds at most 5000 characters: longer text is split (at a newline or space
 *   where possible) into several messages, nothing is dropped;
 * - one reply or push call carries at most 5 messages (`batchesOf`);
 * - buttons become quick-reply postback actions on the LAST message (LINE shows quick replies of
 *   the last message only): at most 13 items, labels at most 20 characters, data (signed, from
 *   `mintButtons`) at most 300. A tap sends a postback event, never a text command.
 */

export const MAX_TEXT_LENGTH = 5000
export const MAX_MESSAGES_PER_CALL = 5
export const MAX_QUICK_REPLY_ITEMS = 13
export const MAX_LABEL_LENGTH = 20
export const MAX_POSTBACK_DATA_LENGTH = 300
/** Shown when a reply has buttons but no text (quick replies need a message to ride on). */
export const BUTTONS_ONLY_TEXT = "Choose an action:"

export interface PostbackAction {
  readonly type: "postback"
  readonly label: string
  readonly data: string
  readonly displayText: string
}

export interface QuickReplyItem {
  readonly type: "action"
  readonly action: PostbackAction
}

export interface TextMessage {
  readonly type: "text"
  readonly text: string
  readonly quickReply?: { readonly items: ReadonlyArray<QuickReplyItem> }
}

const codePoints = (s: string, max: number) => Array.from(s).slice(0, max).join("")

export const quickReplyItemsOf = (buttons: ReadonlyArray<RenderedButton>): Array<QuickReplyItem> =>
  buttons
    .flatMap((button) => {
      const label = codePoints(button.label.trim(), MAX_LABEL_LENGTH)
      if (label === "" || button.data === "" || button.data.length > MAX_POSTBACK_DATA_LENGTH) return []
      return [{ type: "action" as const, action: { type: "postback" as const, label, data: button.data, displayText: label } }]
    })
    .slice(0, MAX_QUICK_REPLY_ITEMS)

/** The messages for `text` plus `buttons`; empty when there is nothing to say. */
export const textMessagesOf = (text: string, buttons: ReadonlyArray<RenderedButton> = []): Array<TextMessage> => {
  const items = quickReplyItemsOf(buttons)
  const body = isBlank(text) ? (items.length > 0 ? BUTTONS_ONLY_TEXT : "") : text
  if (body === "") return []
  const messages: Array<TextMessage> = chunkText(body, MAX_TEXT_LENGTH).map((chunk) => ({ type: "text", text: chunk }))
  if (items.length > 0) {
    const last = messages.length - 1
    messages[last] = { ...messages[last]!, quickReply: { items } }
  }
  return messages
}

/** `messages` in groups of at most `size` (LINE's per-call limit), in order. */
export const batchesOf = <A>(messages: ReadonlyArray<A>, size = MAX_MESSAGES_PER_CALL): Array<Array<A>> => {
  const out: Array<Array<A>> = []
  for (let i = 0; i < messages.length; i += size) out.push(messages.slice(i, i + size))
  return out
}
