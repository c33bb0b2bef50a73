// PLACEHOLDER (replaced by the domain work in progress): the command pipeline entry point.
import { Effect } from "effect"
import type { CommandRequest } from "../model/Request.js"
import { type Reply, textReply } from "../model/Reply.js"

export interface HandleContext {
  /** Key of the inbound event being handled; recorded in the job ledger ("" when unknown). */
  readonly eventKey: string
}

export const handleCommand = (request: CommandRequest, _context: HandleContext): Effect.Effect<Reply> =>
  Effect.succeed(textReply(`Unknown command: ${request.text}. Type /help for options.`))
