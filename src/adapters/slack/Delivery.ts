import { Effect } from "effect"
import type { DeliveryTarget } from "../../domain/model/Request.js"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"
import { DeliveryError, type DeliveryImage, type DeliveryReceipt, type DeliveryRung, type PlatformDelivery } from "../../ports/ChatDelivery.js"
import type { SlackCredential, SlackCredentials } from "./Credentials.js"
import { postMessages } from "./Outbox.js"
import { escapeSlackText, SLACK_TEXT_LIMIT } from "./Render.js"
import type { SlackCallError } from "./SlackApi.js"

/**
 * Slack's PlatformDelivery: job results into the channel and thread the command came from, with
 * the bot token of the target's workspace (`target.workspaceId`), resolved on every call so a
 * revoked or uninstalled workspace fails closed at once (`rejected`), and never with another
 * workspace's token.
 * - sendText: chat.postMessage (thread_ts = target.threadId), split at 4000 characters; the
 *   receipt is the first message's `ts`, which editText rewrites with chat.update.
 * - sendImage / sendDocument: files.getUploadURLExternal -> POST the bytes to the upload URL ->
 *   files.completeUploadExternal with channel_id and thread_ts (bug 13: files.upload is retired).
 *   Both are file shares on Slack; the receipt is the file id.
 * - No idempotency key exists on Slack (`idempotentSends` false); no typing indicator for bots.
 */
export interface SlackDeliveryOptions {
  readonly credentials: SlackCredentials
}

const rejected = (message: string) => new DeliveryError({ reason: "rejected", message })

/** What a failed Slack call means for the worker. */
export const deliveryErrorOf = (e: SlackCallError): DeliveryError => {
  const message = `Slack ${e.method}: ${e.code}`
  switch (e.reason) {
    case "auth-invalid":
      return new DeliveryError({ reason: "rejected", message })
    case "rate-limited":
      return new DeliveryError({ reason: "unavailable", message })
    case "rejected":
      return new DeliveryError({
        reason: /too_large|size_exceeded|file_size/.test(e.code) || e.status === 413 ? "too-large" : "rejected",
        message
      })
    case "unreachable":
      return new DeliveryError({ reason: e.sent === "maybe" ? "unknown-outcome" : "unavailable", message })
    case "malformed":
      return new DeliveryError({ reason: "unknown-outcome", message })
  }
}

export const makeSlackDelivery = ({ credentials }: SlackDeliveryOptions): PlatformDelivery => {
  /** The target workspace's credential; a missing installation is `rejected` (transient: `unavailable`). */
  const credentialFor = (target: DeliveryTarget): Effect.Effect<SlackCredential, DeliveryError> =>
    Effect.flatMap(credentials.resolve(target.workspaceId), (resolved) => {
      if (resolved._tag === "Found") return Effect.succeed(resolved.credential)
      const message = `no Slack token for workspace ${target.workspaceId || "(none)"} (${resolved.reason})`
      return Effect.zipRight(
        Effect.logWarning(`Slack delivery dropped: ${message}`),
        Effect.fail(new DeliveryError({ reason: resolved.transient ? "unavailable" : "rejected", message }))
      )
    })

  const sendText = (target: DeliveryTarget, text: string) =>
    Effect.gen(function*() {
      if (isBlank(text)) return yield* rejected("Slack text: nothing to send")
      const credential = yield* credentialFor(target)
      const messages = chunkText(text, SLACK_TEXT_LIMIT).map((piece) => ({ text: escapeSlackText(piece) }))
      const sent: Array<string> = []
      for (const message of messages) {
        const ts = yield* postMessages(credentials, credential, { channelId: target.channelId, threadTs: target.threadId }, [message]).pipe(
          Effect.mapError((e) => {
            const error = deliveryErrorOf(e)
            // Part of the text is in the chat already: resending all of it would repeat that part.
            return sent.length > 0 && error.reason !== "unknown-outcome"
              ? new DeliveryError({ reason: "unknown-outcome", message: `${error.message} (after ${sent.length} of ${messages.length} parts)` })
              : error
          })
        )
        sent.push(ts[0] ?? "")
      }
      return { rung: "text", platformRef: sent[0] ?? "" } satisfies DeliveryReceipt
    })

  const editText = (target: DeliveryTarget, platformRef: string, text: string) =>
    Effect.gen(function*() {
      if (platformRef === "") return yield* rejected("Slack chat.update: no message ts")
      const credential = yield* credentialFor(target)
      const head = chunkText(text, SLACK_TEXT_LIMIT)[0] ?? ""
      if (isBlank(head)) return yield* rejected("Slack text: nothing to send")
      yield* credentials.call(credential, {
        method: "chat.update",
        json: { channel: target.channelId, ts: platformRef, text: escapeSlackText(head), mrkdwn: false }
      }).pipe(Effect.mapError(deliveryErrorOf))
    })

  const uploadFile = (target: DeliveryTarget, image: DeliveryImage, rung: DeliveryRung) =>
    Effect.gen(function*() {
      if (image.bytes.byteLength === 0) return yield* rejected("Slack upload: empty file")
      const credential = yield* credentialFor(target)
      const filename = image.filename.trim() || "image.png"
      const ticket = yield* credentials.call(credential, {
        method: "files.getUploadURLExternal",
        form: { filename, length: String(image.bytes.byteLength) }
      }).pipe(Effect.mapError(deliveryErrorOf))
      const uploadUrl = typeof ticket["upload_url"] === "string" ? ticket["upload_url"] : ""
      const fileId = typeof ticket["file_id"] === "string" ? ticket["file_id"] : ""
      if (!/^https?:\/\//.test(uploadUrl) || fileId === "") {
        return yield* new DeliveryError({ reason: "unavailable", message: "Slack files.getUploadURLExternal: no upload URL or file id" })
      }
      yield* credentials.upload(uploadUrl, image.bytes, image.contentType).pipe(Effect.mapError(deliveryErrorOf))
      yield* credentials.call(credential, {
        method: "files.completeUploadExternal",
        form: {
          files: JSON.stringify([{ id: fileId, title: filename }]),
          channel_id: target.channelId,
          ...(target.threadId === "" ? {} : { thread_ts: target.threadId })
        }
      }).pipe(Effect.mapError(deliveryErrorOf))
      return { rung, platformRef: fileId } satisfies DeliveryReceipt
    })

  return {
    platform: "slack",
    canEdit: true,
    idempotentSends: false,
    sendText: (target, text) => sendText(target, text),
    editText,
    sendImage: (target, image) => uploadFile(target, image, "image"),
    sendDocument: (target, image) => uploadFile(target, image, "document"),
    typing: () => Effect.void
  }
}
