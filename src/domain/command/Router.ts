import { Effect, Metric } from "effect"
import { chatCommand } from "../chat/ChatCommand.js"
import { approvalsCommand, approveCommand, rejectCommand } from "../handlers/Approvals.js"
import {
  adminTokenGuard,
  type CommandOutcome,
  failed,
  type Handled,
  type HandlerInput,
  usage
} from "../handlers/Handled.js"
import { historyCommand, traceCommand } from "../handlers/Inspect.js"
import { runCommand } from "../handlers/Run.js"
import { scheduleCommand, schedulesCommand } from "../handlers/Schedules.js"
import { helpCommand, statusCommand } from "../handlers/Status.js"
import { stopCommand } from "../handlers/Stop.js"
import { jobsCommand } from "../jobs/JobsCommand.js"
import { commandCounter } from "../model/Metrics.js"
import type { CommandRequest } from "../model/Request.js"
import { type Reply, textReply } from "../model/Reply.js"
import { authorize, isTrusted } from "../policy/Policy.js"
import { Texts } from "../render/Texts.js"
import type { Backend } from "../../ports/Backend.js"
import type { JobLedger } from "../../ports/JobLedger.js"
import { RateLimiter } from "../../ports/RateLimiter.js"
import { Settings } from "../../ports/Settings.js"
import { parseCommand, stripText } from "./Parse.js"

export interface HandleContext {
  /** Key of the inbound event being handled; recorded in the job ledger ("" when unknown). */
  readonly eventKey: string
}

type Handler = (input: HandlerInput) => Effect.Effect<Handled, never, Backend | JobLedger | Settings>

const replied = (effect: Effect.Effect<Reply, never, Backend | Settings>): Effect.Effect<Handled, never, Backend | Settings> =>
  Effect.map(effect, (reply) => ({ reply, outcome: "ok" as const }))

/** Canonical command -> handler. Admin-token guards live in the handlers (their order differs). */
const HANDLERS: Readonly<Record<string, Handler>> = {
  "/status": statusCommand,
  "/help": helpCommand,
  "/run": runCommand,
  "/interrupt": stopCommand,
  "/approvals": approvalsCommand,
  "/approve": approveCommand,
  "/reject": rejectCommand,
  "/schedules": schedulesCommand,
  "/schedule": scheduleCommand,
  "/history": historyCommand,
  "/trace": traceCommand,
  // `/jobs`: the token guard comes before anything else, then the jobs module renders.
  "/jobs": ({ args, request, settings }) => {
    const guarded = adminTokenGuard(settings)
    return guarded !== undefined ? Effect.succeed(guarded) : replied(jobsCommand(request, args))
  },
  "/chat": ({ args, request, settings }) => replied(chatCommand(request, args, isTrusted(settings, request)))
}

const count = (commandClass: string, outcome: CommandOutcome) =>
  Metric.increment(commandCounter(commandClass, outcome))

const finish = (commandClass: string, handled: Handled) =>
  Effect.as(count(commandClass, handled.outcome), handled.reply)

/**
 * Runs one handler. A defect (a bug) becomes a fixed reply; its cause goes to the logs only, so no
 * exception text ever reaches a chat.
 */
const execute = (handler: Handler, input: HandlerInput, canonical: string) =>
  Effect.suspend(() => handler(input)).pipe(
    Effect.catchAllDefect((defect) =>
      Effect.as(Effect.logError("command handler failed", canonical, defect), failed(Texts.internalError))
    )
  )

/**
 * The command pipeline (domain-core §2, with the corrections of decisions.md): trim, rate limit
 * (per platform-qualified sender and channel, before anything else, so junk also spends budget),
 * length limit, tokenise, empty, command word, mention promotion then Telegram suffix strip,
 * lookup, canonicalise, authorise, execute. Never fails: every outcome is a reply.
 */
export const handleCommand: (
  request: CommandRequest,
  context: HandleContext
) => Effect.Effect<Reply, never, Backend | JobLedger | RateLimiter | Settings> = Effect.fnUntraced(
  function*(request: CommandRequest, context: HandleContext) {
    const settings = yield* Settings
    const limiter = yield* RateLimiter
    const platform = request.platform.toLowerCase()
    const text = stripText(request.text)

    const admitted = yield* limiter.take(`${platform}:${request.senderId}`, `${platform}:${request.channelId}`)
    if (!admitted) return yield* finish("none", { reply: textReply(Texts.rateLimited), outcome: "rate_limited" })

    const parsed = parseCommand(platform, text, settings.maxCommandLength)
    switch (parsed._tag) {
      case "TooLong":
        return yield* finish("none", usage(Texts.tooLong(parsed.length, settings.maxCommandLength)))
      case "Unbalanced":
        return yield* finish("none", usage(Texts.unbalanced))
      case "Empty":
        return yield* finish("none", usage(Texts.empty))
      case "Unknown":
        return yield* finish("none", { reply: textReply(Texts.unknown(parsed.word)), outcome: "unknown" })
    }

    const canonical = parsed.entry.canonical
    const decision = authorize(settings, request, canonical)
    if (decision._tag === "Denied") {
      return yield* finish(decision.commandClass, { reply: textReply(decision.text), outcome: "denied" })
    }
    const handler = HANDLERS[canonical]
    if (handler === undefined) {
      yield* Effect.logError("command table entry without a handler", canonical)
      return yield* finish(decision.commandClass, failed(Texts.internalError))
    }
    const handled = yield* execute(handler, { request, args: parsed.args, context, settings }, canonical)
    return yield* finish(decision.commandClass, handled)
  }
)
