import type { CommandRequest } from "../model/Request.js"

const SHARED_KINDS = new Set(["group", "supergroup", "channel", "room"])

/**
 * Whether a message in a shared chat is meant for the bot (decisions.md, bug G1 fixed): in
 * groups, rooms and channels a message is handled only when it mentions the bot or starts with a
 * slash command; ordinary chatter gets no "Unknown command" answer. Direct messages and chats of
 * unknown kind are always handled.
 */
export const isAddressedToBot = (request: CommandRequest): boolean => {
  const kind = (request.channelKind ?? "").toLowerCase()
  if (!SHARED_KINDS.has(kind)) return true
  return request.mentioned === true || request.text.trimStart().startsWith("/")
}
