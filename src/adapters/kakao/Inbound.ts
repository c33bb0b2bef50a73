import { createHash } from "node:crypto"
import type { InboundEvent } from "../../domain/ingress/Ingress.js"
import type { CommandRequest } from "../../domain/model/Request.js"
import type { SkillRequest } from "./Schema.js"

/**
 * Replay keys for Kakao (bug K2 fixed; decisions.md "keyed by the request's own ids").
 *
 * A skill request carries no per-request unique id, except `userRequest.callbackUrl` when
 * callbacks are enabled for the block: that URL is single-use, so it identifies the request and
 * is remembered for the full 300 s window (`kakao:<userId>:cb:<sha256(callbackUrl)>`).
 *
 * Without one, the best we have is the raw body (`kakao:<userId>:<sha256(body)>`), remembered for
 * only 10 s: long enough to absorb a proxy's or client's retry of the same request inside Kakao's
 * 5 s budget, short enough that a user who deliberately sends the same command again a few
 * seconds later is served (the reference's 300 s dropped such repeats). The hash covers the exact
 * bytes received, never a re-serialised form.
 */
export const CALLBACK_REPLAY_TTL_MILLIS = 300_000
export const BODY_REPLAY_TTL_MILLIS = 10_000

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex")

export const callbackUrlOf = (skill: SkillRequest): string | undefined => {
  const url = skill.userRequest.callbackUrl
  return typeof url === "string" && url !== "" ? url : undefined
}

/** The request for the core: a Kakao skill conversation is always a 1:1 chat with the bot. */
export const commandRequestOf = (skill: SkillRequest, messageId: string): CommandRequest => {
  const userId = skill.userRequest.user.id
  return {
    platform: "kakao",
    senderId: userId,
    channelId: userId,
    username: userId,
    messageId,
    text: skill.userRequest.utterance.trim(),
    workspaceId: "",
    threadId: "",
    channelKind: "dm"
  }
}

export const inboundEventOf = (skill: SkillRequest, rawBody: Uint8Array): InboundEvent => {
  const userId = skill.userRequest.user.id
  const callbackUrl = callbackUrlOf(skill)
  if (callbackUrl !== undefined) {
    const id = sha256(callbackUrl)
    return {
      request: commandRequestOf(skill, id),
      eventKey: `kakao:${userId}:cb:${id}`,
      replayTtlMillis: CALLBACK_REPLAY_TTL_MILLIS
    }
  }
  const id = sha256(rawBody)
  return {
    request: commandRequestOf(skill, id),
    eventKey: `kakao:${userId}:${id}`,
    replayTtlMillis: BODY_REPLAY_TTL_MILLIS
  }
}

/**
 * The reference's log-only allowlist (trimmed, case-insensitive): the verdict is only logged.
 * Trust itself is decided by the core from Settings, exactly and case-sensitively.
 */
export const untrustedNote = (allowedUsers: ReadonlyArray<string>, userId: string): string | undefined => {
  const normalised = allowedUsers.map((u) => u.trim().toLowerCase()).filter((u) => u !== "")
  if (normalised.length === 0) return "Allow list empty; all users will require approval"
  return normalised.includes(userId.trim().toLowerCase()) ? undefined : "Not in allowlist; approval required"
}
