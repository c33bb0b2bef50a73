import { Effect } from "effect"
import { mintButtons } from "../../domain/callbacks/Press.js"
import type { Reply } from "../../domain/model/Reply.js"
import type { CallbackSigner } from "../../ports/CallbackSigner.js"
import type { SlackCredential, SlackCredentials } from "./Credentials.js"
import { escapeSlackText, messagesOf, type SlackMessageBody } from "./Render.js"
import type { SlackCallError } from "./SlackApi.js"

/**
 * Posting into one Slack conversation (channel + optional thread) with the token of the
 * conversation's own workspace. Used for the answers to events and presses and by the delivery
 * worker's PlatformDelivery.
 */
export interface Conversation {
  readonly channelId: string
  /** "" posts into the channel itself. */
  readonly threadTs: string
}

const threadOf = (conversation: Conversation) => conversation.threadTs === "" ? {} : { thread_ts: conversation.threadTs }

/**
 * Posts `messages` in order; the `ts` of each posted message. Stops at the first failure (the
 * error says which call failed; earlier messages are in the conversation).
 */
export const postMessages = (
  credentials: SlackCredentials,
  credential: SlackCredential,
  conversation: Conversation,
  messages: ReadonlyArray<SlackMessageBody>,
  retries = 0
): Effect.Effect<Array<string>, SlackCallError> =>
  Effect.forEach(messages, (message) =>
    credentials.call(credential, {
      method: "chat.postMessage",
      json: { channel: conversation.channelId, ...message, mrkdwn: false, ...threadOf(conversation) },
      retries
    }).pipe(Effect.map((body) => typeof body["ts"] === "string" ? body["ts"] : "")))

/**
 * The core's reply (text and approval buttons minted for this channel) as chat messages. A
 * failure is logged (never the token), not retried: the command already ran.
 */
export const postReply = (
  credentials: SlackCredentials,
  credential: SlackCredential,
  conversation: Conversation,
  reply: Reply
): Effect.Effect<void, never, CallbackSigner> =>
  Effect.gen(function*() {
    const buttons = yield* mintButtons(reply, { channelId: conversation.channelId })
    const messages = messagesOf(reply.text, buttons)
    if (messages.length === 0) return
    yield* postMessages(credentials, credential, conversation, messages, 1).pipe(
      Effect.catchAll((e) => Effect.logWarning(`Slack reply to ${conversation.channelId} not delivered (${e.method}: ${e.code})`))
    )
  })

/** A message only `userId` sees (refused button presses); a failure is logged. */
export const postEphemeral = (
  credentials: SlackCredentials,
  credential: SlackCredential,
  conversation: Conversation,
  userId: string,
  text: string
): Effect.Effect<void> =>
  credentials.call(credential, {
    method: "chat.postEphemeral",
    json: { channel: conversation.channelId, user: userId, text: escapeSlackText(text), mrkdwn: false, ...threadOf(conversation) },
    retries: 1
  }).pipe(
    Effect.asVoid,
    Effect.catchAll((e) => Effect.logWarning(`Slack ephemeral answer to ${conversation.channelId} not delivered (${e.method}: ${e.code})`))
  )
