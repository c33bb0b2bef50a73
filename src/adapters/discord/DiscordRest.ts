import {
  type Client,
  DiscordAPIError,
  HTTPError,
  type MessageComponentInteraction,
  MessageFlags,
  Routes
} from "discord.js"
import { Effect } from "effect"
import { isNeverSent } from "../http/PlatformApi.js"
import type { DiscordSink } from "./Deliver.js"
import type { PressResponder } from "./PressHandler.js"
import type { WireMessage } from "./Render.js"
import { DiscordSendError } from "./SendError.js"

/**
 * The outbound calls, through the discord.js client's REST manager: its queue honours Discord's
 * buckets and waits out 429s (`retry_after`) before retrying, so rate limits never surface here.
 * Bodies are the wire JSON from Render.ts, sent as they are.
 */

/** The error's own code, for the log detail only (whether it was sent is `isNeverSent`'s call). */
const errorCode = (cause: unknown): string | undefined => {
  const code = (cause as { code?: unknown } | null)?.code
  return typeof code === "string" || typeof code === "number" ? String(code) : undefined
}

/** Re-types a REST failure without its message or URL (interaction URLs carry tokens). */
export const classifySendError = (cause: unknown): DiscordSendError => {
  if (cause instanceof DiscordAPIError) {
    const status = cause.status
    const reason = status === 401 ? "unauthorized" : status >= 500 ? "unreachable" : "rejected"
    return new DiscordSendError({ reason, detail: `HTTP ${status}, Discord code ${String(cause.code)}` })
  }
  if (cause instanceof HTTPError) return new DiscordSendError({ reason: "unreachable", detail: `HTTP ${cause.status}` })
  const name = cause instanceof Error ? cause.name : "non-error"
  const code = errorCode(cause)
  const detail = (code === undefined ? name : `${name} ${code}`) + (isNeverSent(cause) ? " (never sent)" : "")
  return new DiscordSendError({ reason: "unreachable", detail })
}

const call = (request: () => Promise<unknown>) =>
  Effect.tryPromise({ try: request, catch: classifySendError }).pipe(Effect.asVoid)

/** Create-message in a channel or thread, idempotent per nonce (`enforce_nonce`). */
export const channelSink = (client: Client, channelId: string): DiscordSink => ({
  describe: `channel ${channelId}`,
  post: (message: WireMessage, nonce: string) =>
    call(() => client.rest.post(Routes.channelMessages(channelId), { body: { ...message, nonce, enforce_nonce: true } }))
})

export const typingIn = (client: Client, channelId: string) =>
  call(() => client.rest.post(Routes.channelTyping(channelId)))

/**
 * Calls authenticated by the interaction token, not the bot token: a 401 there means the
 * interaction expired (15 min), not that the bot's token is bad, so it must not mark the bot.
 */
const withInteractionToken = (request: () => Promise<unknown>) =>
  call(request).pipe(
    Effect.mapError((e) => e.reason === "unauthorized" ? new DiscordSendError({ reason: "rejected", detail: e.detail }) : e)
  )

/**
 * Acknowledgement and follow-ups of one component interaction. Follow-ups are webhook executions
 * with the interaction token (no bot auth), `wait=true` so a failure is reported.
 */
export const pressResponder = (client: Client, interaction: MessageComponentInteraction): PressResponder => ({
  acknowledge: withInteractionToken(() => interaction.deferUpdate()),
  typing: typingIn(client, interaction.channelId),
  followUp: (ephemeral) => ({
    describe: `interaction ${interaction.id}`,
    post: (message: WireMessage) =>
      withInteractionToken(() =>
        client.rest.post(Routes.webhook(interaction.applicationId, interaction.token), {
          body: ephemeral ? { ...message, flags: MessageFlags.Ephemeral } : message,
          auth: false,
          query: new URLSearchParams({ wait: "true" })
        })
      )
  })
})
