import { Context, type Effect, type Option } from "effect"
import type { ButtonAction } from "../domain/model/Reply.js"
import type { StoreError } from "./StoreError.js"

/** What a stored button stands for; the button itself carries only a compact token. */
export interface StoredButton {
  readonly action: ButtonAction
  readonly approvalId: string
}

/**
 * Buttons of platforms whose callback payload is too small for the approval id and a token
 * together (Telegram `callback_data` <= 64 bytes; Discord `custom_id` <= 100 characters), keyed by
 * the compact token's request id. The token's MAC still binds action, approval id and chat: the
 * store only says which approval the press is about, it never makes a press valid.
 */
export class ButtonStore extends Context.Tag("ports/ButtonStore")<ButtonStore, {
  readonly put: (requestId: string, button: StoredButton, ttlMillis: number) => Effect.Effect<void, StoreError>
  /** None when unknown or expired. */
  readonly get: (requestId: string) => Effect.Effect<Option.Option<StoredButton>, StoreError>
}>() {}
