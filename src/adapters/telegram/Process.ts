import { Duration, Effect, Either, Fiber, Option } from "effect"
import { handleStoredPress, mintStoredButtons } from "../../domain/callbacks/StoredPress.js"
import { handleCommand } from "../../domain/command/Router.js"
import { Texts } from "../../domain/render/Texts.js"
import type { ButtonStore } from "../../ports/ButtonStore.js"
import type { WebhookServices } from "../http/WebhookServices.js"
import { countInbound, type Triage } from "./ExactlyOnce.js"
import { type BotIdentity, planUpdate, type SkipReason, type UpdatePlan } from "./Inbound.js"
import type { TelegramOutbox } from "./Outbox.js"
import type { TelegramApi } from "./TelegramApi.js"
import { decodeUpdate } from "./Update.js"

/**
 * What an admitted Telegram update does, for polling and webhook alike:
 * - a message for the bot runs the command pipeline with the typing indicator on, then its reply
 *   (and approval buttons, minted as stored-button tokens bound to the chat) is queued for the
 *   same chat and forum topic;
 * - a button press is answered within `answerBudgetMillis` (Telegram keeps a spinner until then):
 *   a refusal known by then is shown as the answer's text, only to the presser; a reply goes to
 *   the chat. Verification, one admission per press and the trust policy are the core's
 *   (`handleStoredPress`); a press whose store is down is told to try again, one that hits a
 *   defect gets the fixed internal-error text;
 * - everything else (edits, chatter, other bots' commands, undecodable updates) is settled
 *   without running anything.
 */

export type ProcessRequirements = WebhookServices | ButtonStore

export const UNAVAILABLE_TEXT = Texts.unavailable

export interface ProcessDeps {
  readonly bot: BotIdentity
  readonly api: TelegramApi
  readonly outbox: TelegramOutbox
  /** How long a press may take before its callback is answered without text (default 2 s). */
  readonly answerBudgetMillis?: number
}

const QUIET_SKIPS: ReadonlySet<SkipReason> = new Set(["chatter", "no-text", "other-bot", "from-bot"])

const skipNote = (updateId: number, reason: SkipReason | "malformed") =>
  reason === "malformed"
    ? Effect.zipRight(countInbound("malformed"), Effect.logWarning(`Telegram update ${updateId} is undecodable; skipped`))
    : Effect.zipRight(
      countInbound("ignored"),
      QUIET_SKIPS.has(reason as SkipReason)
        ? Effect.logDebug(`Telegram update ${updateId} ignored (${reason})`)
        : Effect.logInfo(`Telegram update ${updateId} ignored (${reason})`)
    )

export const replayKeyOf = (bot: BotIdentity, updateId: number) => `telegram:${bot.id}:${updateId}`

/** The pure decision plus the work to run, for one raw update. */
export const makeTriage = (deps: ProcessDeps) => {
  const answerBudget = Duration.millis(deps.answerBudgetMillis ?? 2_000)

  const answer = (id: string, text?: string) =>
    deps.api.answerCallbackQuery(id, text).pipe(
      Effect.catchAll((e) => Effect.logInfo(`Telegram answerCallbackQuery failed (${e.reason}${e.description ? `: ${e.description}` : ""})`))
    )

  const runMessage = (plan: Extract<UpdatePlan, { readonly _tag: "Message" }>, key: string) =>
    Effect.gen(function*() {
      const reply = yield* deps.outbox.whileTyping(plan.target, handleCommand(plan.request, { eventKey: key }))
      const buttons = yield* mintStoredButtons(reply, { channelId: plan.request.channelId })
      yield* deps.outbox.send(plan.target, reply.text, buttons)
    }).pipe(
      // A defect (a bug) still gets the user a fixed answer; the update is then settled as failed.
      Effect.tapErrorCause(() => deps.outbox.send(plan.target, Texts.internalError))
    )

  const runPress = (plan: Extract<UpdatePlan, { readonly _tag: "Press" }>) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.either(handleStoredPress(plan.request, plan.data)))
      const early = yield* Effect.timeoutOption(Fiber.await(fiber), answerBudget)
      if (Option.isNone(early)) yield* answer(plan.callbackQueryId)
      const exit = Option.isSome(early) ? early.value : yield* Fiber.await(fiber)
      /** A short text for the presser: the callback answer while it is still open, else a message. */
      const tell = (text: string | undefined) =>
        Option.isSome(early)
          ? answer(plan.callbackQueryId, text)
          : text === undefined
          ? Effect.void
          : deps.outbox.send(plan.target, text)
      if (exit._tag === "Failure") {
        // A defect (a bug) still gets the presser a fixed answer, as a message does.
        yield* tell(Texts.internalError)
        return yield* Effect.failCause(exit.cause)
      }
      if (Either.isLeft(exit.value)) {
        yield* Effect.logWarning("Telegram button press refused: replay store unavailable")
        return yield* tell(UNAVAILABLE_TEXT)
      }
      const outcome = exit.value.right
      switch (outcome._tag) {
        case "Duplicate":
          return yield* tell(undefined)
        case "Rejected":
          yield* Effect.logInfo(`Telegram button press refused: ${outcome.reason}`)
          return yield* tell(outcome.text)
        case "Replied": {
          yield* tell(undefined)
          const buttons = yield* mintStoredButtons(outcome.reply, { channelId: plan.request.channelId })
          return yield* deps.outbox.send(plan.target, outcome.reply.text, buttons)
        }
      }
    })

  return (raw: unknown, updateId: number): Triage<ProcessRequirements> => {
    const update = decodeUpdate(raw)
    if (update === undefined) return { _tag: "Skip", reason: "malformed", note: skipNote(updateId, "malformed") }
    const plan = planUpdate(update, deps.bot)
    const key = replayKeyOf(deps.bot, updateId)
    switch (plan._tag) {
      case "Skip":
        return { _tag: "Skip", reason: plan.reason, note: skipNote(updateId, plan.reason) }
      case "Message":
        return { _tag: "Work", key, run: runMessage(plan, key) }
      case "Press":
        return { _tag: "Work", key, run: runPress(plan) }
      case "ForeignPress":
        return { _tag: "Work", key, run: answer(plan.callbackQueryId) }
    }
  }
}
