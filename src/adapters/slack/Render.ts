import type { RenderedButton } from "../../domain/callbacks/Press.js"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"

/**
 * Slack message bodies for the core's replies (spec platforms-slack-feishu.md §2.7, bug 6 fixed).
 * - Text is split into messages of at most 4000 characters and sent with `mrkdwn: false`; `&`, `<`
 *   and `>` are escaped as Slack requires (`/run <template>` would otherwise be read as a link).
 * - Buttons go on the last message as Block Kit: a `section` (plain text, at most 3000
 *   characters; a longer last piece is split again) and `actions` blocks of at most 25 buttons.
 *   Each button's `value` is the signed button data (Press.ts), never a command, and each
 *   `action_id` is unique in the message (`openclaw.<index>`): the reference repeated
 *   `approval.approve` for every approval, which Slack rejects as invalid blocks. A message holds
 *   at most 50 blocks; buttons beyond that are left out (the text still names every approval).
 */
export const SLACK_TEXT_LIMIT = 4000
export const SECTION_TEXT_LIMIT = 3000
export const MAX_ACTIONS_ELEMENTS = 25
export const MAX_BLOCKS = 50
export const BUTTON_LABEL_LIMIT = 75
export const BUTTON_VALUE_LIMIT = 2000

export interface SlackMessageBody {
  readonly text: string
  readonly blocks?: ReadonlyArray<Record<string, unknown>>
}

export const escapeSlackText = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

const buttonElement = (button: RenderedButton, index: number): Record<string, unknown> => ({
  type: "button",
  action_id: `openclaw.${index}`,
  text: { type: "plain_text", text: button.label.trim().slice(0, BUTTON_LABEL_LIMIT) || "OpenClaw", emoji: true },
  value: button.data,
  style: button.style
})

/** The `section` + `actions` blocks for `text` and `buttons` (buttons whose data is too long are left out). */
export const cardBlocks = (text: string, buttons: ReadonlyArray<RenderedButton>): Array<Record<string, unknown>> => {
  const usable = buttons.filter((b) => b.data.length > 0 && b.data.length <= BUTTON_VALUE_LIMIT)
  const blocks: Array<Record<string, unknown>> = [
    { type: "section", text: { type: "plain_text", text: (isBlank(text) ? "OpenClaw" : text).slice(0, SECTION_TEXT_LIMIT), emoji: false } }
  ]
  for (let i = 0; i < usable.length && blocks.length < MAX_BLOCKS; i += MAX_ACTIONS_ELEMENTS) {
    const elements = usable.slice(i, i + MAX_ACTIONS_ELEMENTS).map((b, j) => buttonElement(b, i + j))
    blocks.push({ type: "actions", block_id: `openclaw.actions.${i / MAX_ACTIONS_ELEMENTS}`, elements })
  }
  return blocks
}

/** The messages that carry `text` and `buttons`, in order; none for blank text without buttons. */
export const messagesOf = (text: string, buttons: ReadonlyArray<RenderedButton>): Array<SlackMessageBody> => {
  const pieces = isBlank(text) ? [] : chunkText(text, SLACK_TEXT_LIMIT)
  if (buttons.length === 0) return pieces.map((piece) => ({ text: escapeSlackText(piece) }))
  const last = pieces.pop() ?? ""
  const tail = isBlank(last) ? [""] : chunkText(last, SECTION_TEXT_LIMIT)
  const card = tail.pop() ?? ""
  const plain = [...pieces, ...tail].map((piece) => ({ text: escapeSlackText(piece) }))
  return [...plain, { text: escapeSlackText(isBlank(card) ? "OpenClaw" : card), blocks: cardBlocks(card, buttons) }]
}
