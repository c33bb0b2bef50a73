import type { HandleContext } from "../command/Router.js"
import { isSafeId } from "../model/Ids.js"
import type { CommandRequest } from "../model/Request.js"
import { type Reply, textReply } from "../model/Reply.js"
import type { CoreSettings } from "../model/Settings.js"
import { Texts } from "../render/Texts.js"

/** Outcome label of a handled command, as counted by the `commandCounter` metrics. */
export type CommandOutcome = "ok" | "denied" | "rate_limited" | "error" | "usage" | "unknown"

/** A handler's reply plus how the command ended (for metrics; never shown). */
export interface Handled {
  readonly reply: Reply
  readonly outcome: CommandOutcome
}

/** What every handler receives once the command is authorised. */
export interface HandlerInput {
  readonly request: CommandRequest
  readonly args: ReadonlyArray<string>
  readonly context: HandleContext
  readonly settings: CoreSettings
}

export const ok = (text: string): Handled => ({ reply: textReply(text), outcome: "ok" })
export const usage = (text: string): Handled => ({ reply: textReply(text), outcome: "usage" })
export const failed = (text: string): Handled => ({ reply: textReply(text), outcome: "error" })

/**
 * The connector-side admin-token guard (domain-core §6.4): admin handlers refuse before any
 * backend call when OPENCLAW_CONNECTOR_ADMIN_TOKEN is not set. Undefined means "go on".
 */
export const adminTokenGuard = (settings: CoreSettings): Handled | undefined =>
  settings.adminTokenConfigured ? undefined : failed(Texts.adminTokenMissing)

/** Every id placed in a backend path is checked first; undefined means all are safe. */
export const idGuard = (...ids: ReadonlyArray<string>): Handled | undefined =>
  ids.every(isSafeId) ? undefined : failed(Texts.invalidId)
