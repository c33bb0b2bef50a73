import { Option } from "effect"
import type { ButtonAction } from "../model/Reply.js"
import { isSafeId } from "../model/Ids.js"

/**
 * What a button press carries back on platforms with small callback payloads (LINE postback
 * `data` <= 300 characters, WhatsApp reply-button `id` <= 256): `oc1|<a|r>|<approval id>|<compact token>`,
 * at most ~200 ASCII characters. The compact token's MAC binds the action, the approval id and
 * the chat the button was sent to, so the text is never trusted as a command by itself.
 */
export interface ButtonData {
  readonly action: ButtonAction
  readonly approvalId: string
  /** `c1.<request id>.<timestamp>.<mac>` (CompactToken.ts). */
  readonly token: string
}

const CODES: Readonly<Record<string, ButtonAction>> = { a: "approval.approve", r: "approval.reject" }
const CODE_OF: Readonly<Record<ButtonAction, string>> = { "approval.approve": "a", "approval.reject": "r" }
const DATA = /^oc1\|([ar])\|([^|]{1,128})\|(c1\.[A-Za-z0-9_.-]{1,80})$/

export const encodeButtonData = (data: ButtonData): string =>
  `oc1|${CODE_OF[data.action]}|${data.approvalId}|${data.token}`

/** Strict: anything that is not exactly the grammar above is `None`. */
export const decodeButtonData = (input: string): Option.Option<ButtonData> => {
  const m = typeof input === "string" && input.length <= 256 ? DATA.exec(input) : null
  if (m === null || !isSafeId(m[2]!)) return Option.none()
  return Option.some({ action: CODES[m[1]!]!, approvalId: m[2]!, token: m[3]! })
}

/** Whether a postback/reply id looks like ours at all (other postbacks are ignored, not refused). */
export const isButtonData = (input: string): boolean => typeof input === "string" && input.startsWith("oc1|")

/** The chat command a verified press stands for. */
export const commandOfAction = (action: ButtonAction, approvalId: string): string =>
  action === "approval.approve" ? `/approve ${approvalId}` : `/reject ${approvalId}`

/** The payload the MAC binds (the same object when minting and verifying). */
export const buttonPayload = (approvalId: string) => ({ approval_id: approvalId })
