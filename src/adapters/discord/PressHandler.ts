import { Cause, Effect, Either, Exit, type Schedule } from "effect"
import { handleStoredPress, isStoredButtonData, mintStoredButtons } from "../../domain/callbacks/StoredPress.js"
import { Texts } from "../../domain/render/Texts.js"
import { count } from "./Counters.js"
import { DEFAULT_RETRY, deliver, type DiscordSink, withTyping } from "./Deliver.js"
import { pressRequestOf, type PressView } from "./Inbound.js"
import { type DiscordServices, UNAVAILABLE_TEXT } from "./MessageHandler.js"
import { wireMessagesOf } from "./Render.js"
import type { DiscordSendError } from "./SendError.js"

/**
 * One button press (INTERACTION_CREATE, message component):
 * 1. acknowledged at once (a deferred update, type 6), well inside Discord's 3 s window, before
 *    anything slow runs. A press that cannot be acknowledged is not run: the user sees
 *    "interaction failed" and may press again, which then runs it once;
 * 2. a component that is not one of our stored buttons (foreign `custom_id`) stops there;
 * 3. the stored-button pipeline (handleStoredPress) with who pressed and where: MAC, expiry and
 *    chat binding verified, one admission per button, class policy (a non-admin approve press is
 *    refused; an untrusted run-affecting press becomes an approval request, in the core);
 * 4. the outcome as follow-up messages: refusals ephemeral (only the presser sees them), results
 *    public; a duplicate press says nothing.
 */

export interface PressResponder {
  /** Deferred update of the message the button is on (interaction callback type 6). */
  readonly acknowledge: Effect.Effect<void, DiscordSendError>
  /** Follow-up messages of the interaction; ephemeral ones are seen by the presser only. */
  readonly followUp: (ephemeral: boolean) => DiscordSink
  readonly typing: Effect.Effect<void, DiscordSendError>
}

export const handlePressInteraction = (
  view: PressView,
  responder: PressResponder,
  retry: Schedule.Schedule<unknown, DiscordSendError> = DEFAULT_RETRY
): Effect.Effect<void, never, DiscordServices> =>
  Effect.gen(function*() {
    const acknowledged = yield* Effect.either(responder.acknowledge)
    if (Either.isLeft(acknowledged)) {
      yield* count("error")
      return yield* Effect.logWarning(
        `Discord button press ${view.interactionId} not acknowledged (${acknowledged.left.reason}, ${acknowledged.left.detail}); not run`
      )
    }
    if (!isStoredButtonData(view.customId)) {
      yield* count("ignored")
      return yield* Effect.logDebug(`Discord component ${view.interactionId} ignored: not one of our buttons`)
    }
    const request = pressRequestOf(view)
    const refuse = (text: string) => deliver(responder.followUp(true), wireMessagesOf(text), retry)
    const exit = yield* Effect.exit(withTyping(responder.typing, Effect.either(handleStoredPress(request, view.customId))))
    if (Exit.isFailure(exit)) {
      yield* count("error")
      yield* Effect.logError("Discord button press failed with a defect", Cause.pretty(exit.cause))
      return yield* refuse(Texts.internalError)
    }
    if (Either.isLeft(exit.value)) {
      yield* count("refused")
      yield* Effect.logWarning(`Discord button press ${view.interactionId} refused: replay store unavailable`)
      return yield* refuse(UNAVAILABLE_TEXT)
    }
    const outcome = exit.value.right
    switch (outcome._tag) {
      case "Duplicate":
        yield* count("duplicate")
        return yield* Effect.logInfo(`Discord button press ${view.interactionId} skipped: already handled`)
      case "Rejected":
        yield* count("handled")
        yield* Effect.logInfo(`Discord button press ${view.interactionId} by user=${view.userId} refused: ${outcome.reason}`)
        return yield* refuse(outcome.text)
      case "Replied": {
        yield* count("handled")
        const buttons = yield* mintStoredButtons(outcome.reply, { channelId: request.channelId })
        return yield* deliver(responder.followUp(false), wireMessagesOf(outcome.reply.text, buttons), retry)
      }
    }
  }).pipe(Effect.asVoid)
