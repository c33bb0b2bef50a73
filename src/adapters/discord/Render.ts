import type { RenderedButton } from "../../domain/callbacks/Press.js"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"

/**
 * A core reply as Discord message bodies (the REST wire JSON), within Discord's limits (bugs D4
 * and D5 fixed):
 * - content holds at most 2000 characters: longer text is split at a newline or space where
 *   possible into several messages; nothing is truncated;
 * - `allowed_mentions: { parse: [] }` on every message: a reply never pings anyone, even when it
 *   echoes `@everyone` or `<@id>` back;
 * - buttons ride on the LAST message as action rows (at most 5 buttons per row, 5 rows); each
 *   `custom_id` is the stored-button token (mintStoredButtons: at most 63 characters, well
 *   inside Discord's 100), labels at most 80 characters. A press comes back as an interaction,
 *   never as a text command.
 */

export const MAX_CONTENT_LENGTH = 2000
export const MAX_LABEL_LENGTH = 80
export const MAX_BUTTONS_PER_ROW = 5
export const MAX_ROWS = 5
/** Shown when a reply has buttons but no text. */
export const BUTTONS_ONLY_TEXT = "Choose an action:"

/** Discord button styles: 1 primary (blurple), 4 danger (red). */
export interface WireButton {
  readonly type: 2
  readonly style: 1 | 4
  readonly label: string
  readonly custom_id: string
}

export interface WireActionRow {
  readonly type: 1
  readonly components: ReadonlyArray<WireButton>
}

export interface WireMessage {
  readonly content: string
  readonly allowed_mentions: { readonly parse: ReadonlyArray<never> }
  readonly components?: ReadonlyArray<WireActionRow>
}

const codePoints = (s: string, max: number) => Array.from(s).slice(0, max).join("")

export const buttonsOf = (buttons: ReadonlyArray<RenderedButton>): Array<WireButton> =>
  buttons
    .flatMap((button) => {
      const label = codePoints(button.label.trim(), MAX_LABEL_LENGTH)
      if (label === "" || button.data === "") return []
      return [{ type: 2 as const, style: button.style === "danger" ? 4 as const : 1 as const, label, custom_id: button.data }]
    })
    .slice(0, MAX_BUTTONS_PER_ROW * MAX_ROWS)

export const actionRowsOf = (buttons: ReadonlyArray<WireButton>): Array<WireActionRow> => {
  const rows: Array<WireActionRow> = []
  for (let i = 0; i < buttons.length; i += MAX_BUTTONS_PER_ROW) {
    rows.push({ type: 1, components: buttons.slice(i, i + MAX_BUTTONS_PER_ROW) })
  }
  return rows
}

/** The messages for `text` plus `buttons`; empty when there is nothing to say. */
export const wireMessagesOf = (text: string, buttons: ReadonlyArray<RenderedButton> = []): Array<WireMessage> => {
  const rows = actionRowsOf(buttonsOf(buttons))
  const body = isBlank(text) ? (rows.length > 0 ? BUTTONS_ONLY_TEXT : "") : text
  if (body === "") return []
  const messages: Array<WireMessage> = chunkText(body, MAX_CONTENT_LENGTH).map((content) => ({
    content,
    allowed_mentions: { parse: [] }
  }))
  if (rows.length > 0) {
    const last = messages.length - 1
    messages[last] = { ...messages[last]!, components: rows }
  }
  return messages
}
