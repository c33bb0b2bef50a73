import { Clock, Effect, Option, Random } from "effect"
import type { Backend } from "../../ports/Backend.js"
import { CallbackSigner } from "../../ports/CallbackSigner.js"
import type { JobLedger } from "../../ports/JobLedger.js"
import type { RateLimiter } from "../../ports/RateLimiter.js"
import type { ReplayStore } from "../../ports/ReplayStore.js"
import { Settings } from "../../ports/Settings.js"
import { handleCommand } from "../command/Router.js"
import type { IngressRefused } from "../Errors.js"
import { isSafeId } from "../model/Ids.js"
import type { Button, Reply } from "../model/Reply.js"
import type { CommandRequest } from "../model/Request.js"
import { isAdmin, isTrusted } from "../policy/Policy.js"
import { type ButtonData, buttonPayload, commandOfAction, decodeButtonData, encodeButtonData } from "./ButtonData.js"
import type { CallbackRejectCode } from "./CallbackPolicy.js"
import { buildCompactToken } from "./CompactToken.js"
import { isEnvelopeId } from "./Envelope.js"
import { completeCallback, evaluateCompactCallback, releaseCallback } from "./EvaluateCallback.js"

/**
 * Buttons on platforms whose presses come back as callbacks with a small payload (LINE
 * postbacks, WhatsApp reply buttons): minting signed button data for a reply, and running a
 * press through the callback contract (verify, freshness, one admission per press, class policy
 * with the untrusted-run downgrade) and then the normal command pipeline.
 */

/**
 * How long an approval button stays usable. Longer than the callback contract's 300 s default:
 * admins often see the request later; the approval itself still expires in the backend.
 */
export const BUTTON_LIFETIME_SECONDS = 3600

export interface RenderedButton {
  readonly label: string
  /** Signed button data (ButtonData.ts); never a raw command. */
  readonly data: string
  readonly style: "primary" | "danger"
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/** 16 characters (96 bits): unique per button; the MAC, not this id, makes it unforgeable. */
export const newButtonRequestId = Effect.map(
  Effect.all(Array.from({ length: 16 }, () => Random.nextIntBetween(0, 64))),
  (codes) => codes.map((c) => ALPHABET[c]).join("")
)

/** One button of a reply, signed for the chat it goes to: each minting caller encodes or stores it. */
export interface MintedToken {
  readonly button: Button
  /** The token's request id (the stored-button key). */
  readonly requestId: string
  /** `c1.<request id>.<ts>.<mac>` binding action, approval id and chat. */
  readonly token: string
}

/**
 * The minting loop shared by every button form: a compact token per reply button, bound to
 * `channelId`. Buttons that cannot be bound (a chat or approval id outside the charsets a press
 * is checked against) are left out; the reply text still lists them.
 */
export const mintTokens: (reply: Reply, binding: { readonly channelId: string }) => Effect.Effect<ReadonlyArray<MintedToken>, never, CallbackSigner> = Effect.fnUntraced(
  function*(reply: Reply, binding: { readonly channelId: string }) {
    if (reply.buttons.length === 0 || !isEnvelopeId(binding.channelId)) return []
    const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const minted: Array<MintedToken> = []
    for (const button of reply.buttons) {
      if (!isSafeId(button.approvalId)) continue
      const requestId = yield* newButtonRequestId
      const token = yield* buildCompactToken({
        requestId,
        workspaceId: binding.channelId,
        actionType: button.actionType,
        payload: buttonPayload(button.approvalId),
        timestamp
      }).pipe(Effect.option)
      if (Option.isSome(token)) minted.push({ button, requestId, token: token.value })
    }
    return minted
  }
)

/** The reply's buttons with signed data (ButtonData.ts) bound to the chat they are sent to. */
export const mintButtons = (
  reply: Reply,
  binding: { readonly channelId: string }
): Effect.Effect<ReadonlyArray<RenderedButton>, never, CallbackSigner> =>
  Effect.map(mintTokens(reply, binding), (minted) =>
    minted.flatMap(({ button, token }) => {
      const data = encodeButtonData({ action: button.actionType, approvalId: button.approvalId, token })
      return Option.isSome(decodeButtonData(data)) ? [{ label: button.label, data, style: button.style }] : []
    }))

export type PressOutcome =
  | { readonly _tag: "Replied"; readonly reply: Reply }
  /** The press ran already (or is running): acknowledge, do nothing. */
  | { readonly _tag: "Duplicate" }
  /** Refused; `text` is a short explanation for the person who pressed. */
  | { readonly _tag: "Rejected"; readonly reason: CallbackRejectCode; readonly text: string }

export const PressTexts = {
  expired: "This button has expired. Send the command instead.",
  adminOnly: "[Access Denied] This command requires Admin privileges.",
  invalid: "This button is not valid here."
} as const

export const rejected = (reason: CallbackRejectCode): PressOutcome => ({
  _tag: "Rejected",
  reason,
  text: reason === "cb_reject_timestamp"
    ? PressTexts.expired
    : reason === "cb_reject_policy_denied"
    ? PressTexts.adminOnly
    : PressTexts.invalid
})

type PressRequirements = CallbackSigner | ReplayStore | Settings | Backend | JobLedger | RateLimiter

/**
 * One press of a button whose data came back whole (LINE, WhatsApp): `request` is who pressed
 * where (its text is ignored), `data` what the button carried. Data that is not exactly our
 * grammar is refused; the rest is `pressButton`.
 */
export const handlePress = (
  request: CommandRequest,
  data: string
): Effect.Effect<PressOutcome, IngressRefused, PressRequirements> => {
  const decoded = decodeButtonData(data)
  return Option.isNone(decoded) ? Effect.succeed(rejected("cb_reject_invalid_envelope")) : pressButton(request, decoded.value)
}

/**
 * One press of a known button (decoded, or looked up in the ButtonStore): the callback contract
 * (MAC over action, approval id and the chat pressed in; freshness; one admission per press;
 * class policy with the untrusted-run downgrade), then the command pipeline. Fails only with
 * `IngressRefused` when the replay store cannot hold the claim (the adapter answers "try again
 * later"; nothing ran).
 */
export const pressButton: (request: CommandRequest, button: ButtonData) => Effect.Effect<PressOutcome, IngressRefused, PressRequirements> = Effect.fnUntraced(
  function*(request: CommandRequest, button: ButtonData) {
    // Never build a command from an id outside the backend's charset, whatever supplied it.
    if (!isSafeId(button.approvalId)) return rejected("cb_reject_invalid_envelope")
    const settings = yield* Settings
    const actor = { isAdmin: isAdmin(settings, request.platform, request.senderId), isTrusted: isTrusted(settings, request) }
    const admission = yield* evaluateCompactCallback({
      platform: request.platform,
      token: button.token,
      workspaceId: request.channelId,
      actionType: button.action,
      payload: buttonPayload(button.approvalId),
      actor
    }, { driftSeconds: BUTTON_LIFETIME_SECONDS }).pipe(Effect.either)
    if (admission._tag === "Left") {
      const error = admission.left
      if (error._tag === "IngressRefused") return yield* error
      return error.reason === "cb_reject_replay" ? { _tag: "Duplicate" } as const : rejected(error.reason)
    }
    const admitted = admission.right
    const command = commandOfAction(button.action, button.approvalId) + (admitted.requiresApproval ? " --approval" : "")
    const reply = yield* handleCommand({ ...request, text: command }, { eventKey: admitted.replayKey }).pipe(
      Effect.onExit((exit) => exit._tag === "Failure" ? Effect.ignore(releaseCallback(admitted)) : Effect.void)
    )
    yield* completeCallback(admitted).pipe(
      Effect.catchTag("StoreError", (e) => Effect.logWarning("callback commit failed", e.operation))
    )
    return { _tag: "Replied", reply } as const
  }
)
