// PLACEHOLDER (replaced by the chat work in progress): `/chat` after authorization.
// `trusted` is the sender's trust as decided by the policy (admins are trusted).
import { Effect } from "effect"
import type { CommandRequest } from "../model/Request.js"
import { type Reply, textReply } from "../model/Reply.js"
import type { Backend } from "../../ports/Backend.js"
import type { Settings } from "../../ports/Settings.js"

export const chatCommand = (
  _request: CommandRequest,
  _args: ReadonlyArray<string>,
  _trusted: boolean
): Effect.Effect<Reply, never, Backend | Settings> =>
  Effect.succeed(textReply("[Chat Error] LLM not configured. Configure in OpenClaw Settings."))
