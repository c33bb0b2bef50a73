import { Effect, Either, Option } from "effect"
import { ButtonStore } from "../../ports/ButtonStore.js"
import { IngressRefused } from "../Errors.js"
import type { Reply } from "../model/Reply.js"
import type { CommandRequest } from "../model/Request.js"
import { decodeCompactToken } from "./CompactToken.js"
import { BUTTON_LIFETIME_SECONDS, mintTokens, pressButton, rejected, type RenderedButton } from "./Press.js"

/**
 * Buttons whose data is only the compact token (`c1.<request id>.<ts>.<mac>`, at most 63 bytes),
 * for Telegram's 64-byte `callback_data` and Discord's `custom_id`. Which approval and action a
 * button stands for is kept in the ButtonStore under the token's request id; the MAC still binds
 * action, approval id and chat, so a store entry alone never makes a press valid.
 */

/** A little longer than the button's life, so an entry outlives every press the MAC accepts. */
const STORE_TTL_MILLIS = (BUTTON_LIFETIME_SECONDS + 300) * 1000

/**
 * Mints and stores the reply's buttons bound to `channelId`. A button that cannot be stored is
 * left out (logged): the reply text still names the approval, so `/approve <id>` works.
 */
export const mintStoredButtons = Effect.fnUntraced(function*(reply: Reply, binding: { readonly channelId: string }) {
  const tokens = yield* mintTokens(reply, binding)
  if (tokens.length === 0) return [] as ReadonlyArray<RenderedButton>
  const store = yield* ButtonStore
  const minted: Array<RenderedButton> = []
  for (const { button, requestId, token } of tokens) {
    const stored = yield* store.put(requestId, { action: button.actionType, approvalId: button.approvalId }, STORE_TTL_MILLIS)
      .pipe(Effect.either)
    if (Either.isLeft(stored)) {
      yield* Effect.logWarning("approval button left out: the button store is unavailable", stored.left.operation)
      continue
    }
    minted.push({ label: button.label, data: token, style: button.style })
  }
  return minted as ReadonlyArray<RenderedButton>
})

/** Whether a callback payload looks like one of our stored buttons (others are ignored). */
export const isStoredButtonData = (data: string): boolean => typeof data === "string" && data.startsWith("c1.")

/**
 * One press of a stored button: looks the button up, then `pressButton` with the stored action
 * and approval id and the pressed token (verify, freshness, one admission per press, policy,
 * command). Unknown or expired buttons are refused as expired; a store that cannot answer fails
 * with `IngressRefused` (nothing ran).
 */
export const handleStoredPress = Effect.fnUntraced(function*(request: CommandRequest, data: string) {
  const token = decodeCompactToken(data)
  if (Either.isLeft(token)) return rejected("cb_reject_invalid_envelope")
  const store = yield* ButtonStore
  const found = yield* store.get(token.right.requestId).pipe(
    Effect.mapError(() => new IngressRefused({ reason: "store-unavailable" }))
  )
  if (Option.isNone(found)) return rejected("cb_reject_timestamp")
  return yield* pressButton(request, { action: found.value.action, approvalId: found.value.approvalId, token: data })
})
