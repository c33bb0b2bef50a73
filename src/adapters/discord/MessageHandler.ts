import { Cause, Effect, Either, Exit, type Schedule } from "effect"
import { mintStoredButtons } from "../../domain/callbacks/StoredPress.js"
import { admitInbound, runAdmitted } from "../../domain/ingress/Ingress.js"
import { Texts } from "../../domain/render/Texts.js"
import type { ButtonStore } from "../../ports/ButtonStore.js"
import type { WebhookServices } from "../http/WebhookServices.js"
import { count } from "./Counters.js"
import { DEFAULT_RETRY, deliver, type DiscordSink, withTyping } from "./Deliver.js"
import { type MessageView, planMessage, untrustedNote } from "./Inbound.js"
import { wireMessagesOf } from "./Render.js"
import type { DiscordSendError } from "./SendError.js"

/**
 * One MESSAGE_CREATE, end to end: plan (Inbound.ts) -> claim `discord:<id>` in the replay store
 * BEFORE the core sees it -> run with the typing indicator on -> reply. A replayed or duplicate
 * dispatch is acknowledged by doing nothing; a store that cannot hold the claim runs nothing and
 * says so (Discord never redelivers a message, so silence would lose it without a word). The
 * claim is committed when the command has run, whether or not the reply gets through: a failed
 * reply is retried as a delivery (Deliver.ts), never by running the command again.
 */

export type DiscordServices = WebhookServices | ButtonStore

export const UNAVAILABLE_TEXT = Texts.unavailable

/** What handling a message needs from the gateway side. */
export interface MessageContext {
  /** The bot's own user id (READY). */
  readonly botId: string
  readonly allowedUsers: ReadonlyArray<string>
  readonly allowedChannels: ReadonlyArray<string>
  /** Sends messages to a channel or thread. */
  readonly sinkFor: (channelId: string) => DiscordSink
  readonly typingIn: (channelId: string) => Effect.Effect<void, DiscordSendError>
  readonly retry?: Schedule.Schedule<unknown, DiscordSendError>
}

export const handleMessage = (view: MessageView, context: MessageContext): Effect.Effect<void, never, DiscordServices> =>
  Effect.gen(function*() {
    const plan = planMessage(view, context.botId)
    if (plan._tag === "Skip") {
      yield* count("ignored")
      return yield* Effect.logDebug(`Discord message ${view.id} ignored: ${plan.reason}`)
    }
    const sink = context.sinkFor(plan.replyChannelId)
    const retry = context.retry ?? DEFAULT_RETRY
    const admission = yield* Effect.either(admitInbound(plan.inbound))
    if (Either.isLeft(admission)) {
      yield* count("refused")
      yield* Effect.logWarning(`Discord message ${view.id} refused: replay store unavailable (${admission.left.reason})`)
      return yield* deliver(sink, wireMessagesOf(UNAVAILABLE_TEXT), retry)
    }
    if (admission.right._tag === "Duplicate") {
      yield* count("duplicate")
      return yield* Effect.logInfo(`Discord message ${view.id} skipped: duplicate (${admission.right.outcome})`)
    }
    const request = plan.inbound.request
    const note = untrustedNote(context.allowedUsers, context.allowedChannels, request)
    // Debug, not info: every stranger's message would otherwise write a line (the core decides trust).
    if (note !== undefined) yield* Effect.logDebug(`Untrusted Discord message from user=${request.senderId} (${note})`)
    const exit = yield* Effect.exit(withTyping(context.typingIn(plan.replyChannelId), runAdmitted(plan.inbound)))
    if (Exit.isFailure(exit)) {
      yield* count("error")
      yield* Effect.logError("Discord command failed with a defect", Cause.pretty(exit.cause))
      return yield* deliver(sink, wireMessagesOf(Texts.internalError), retry)
    }
    yield* count("handled")
    const buttons = yield* mintStoredButtons(exit.value, { channelId: request.channelId })
    yield* deliver(sink, wireMessagesOf(exit.value.text, buttons), retry)
  }).pipe(Effect.asVoid)
