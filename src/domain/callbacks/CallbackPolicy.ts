import { Schema } from "effect"
import type { CommandClass } from "../model/Settings.js"

/** Every way a press can be refused (spec/platforms-slack-feishu.md §7 "All result codes"). */
export const CALLBACK_REJECT_CODES = [
  "cb_reject_invalid_envelope",
  "cb_reject_timestamp",
  "cb_reject_payload_hash",
  "cb_reject_signature",
  "cb_reject_replay",
  "cb_reject_missing_installation",
  "cb_reject_ambiguous_installation",
  "cb_reject_inactive_installation",
  "cb_reject_stale_token_ref",
  "cb_reject_tenant_mismatch",
  "cb_reject_unknown_action",
  "cb_reject_policy_denied"
] as const
export type CallbackRejectCode = typeof CALLBACK_REJECT_CODES[number]

/**
 * A press that must not run. `message` is the reference's short machine reason
 * (`timestamp_out_of_window`, `signature_mismatch`, `duplicate_after_success`, `admin_required`...):
 * safe to log, never shown verbatim to the presser by adapters (they answer with a constant).
 */
export class CallbackRejected extends Schema.TaggedError<CallbackRejected>()("CallbackRejected", {
  reason: Schema.Literal(...CALLBACK_REJECT_CODES),
  message: Schema.String
}) {}

/** How an admitted press proceeds; `cb_require_approval` runs only as an approval request. */
export type CallbackAcceptCode = "cb_accept_public" | "cb_accept_run" | "cb_accept_admin" | "cb_require_approval"

/**
 * Action type -> command class. Keys ending in `*` match as prefixes (`action.workflow.*`); the
 * class is a plain string because configuration may name a class that does not exist, which is
 * refused at press time (`unsupported_command_class`).
 */
export type ActionPolicy = ReadonlyMap<string, string>

/** The buttons the core mints (Reply.ButtonAction) plus the reference's command buttons (§3.1). */
export const DEFAULT_CALLBACK_ACTION_POLICY: ActionPolicy = new Map([
  ["approval.approve", "admin"],
  ["approval.reject", "admin"],
  ["command.status", "public"],
  ["command.run", "run"]
])

/** Exact key first, then `*` prefix keys in the map's insertion order; `undefined` when none matches. */
export const lookupActionClass = (policy: ActionPolicy, actionType: string): string | undefined => {
  const exact = policy.get(actionType)
  if (exact !== undefined) return exact
  for (const [key, commandClass] of policy) {
    if (key.endsWith("*") && actionType.startsWith(key.slice(0, -1))) return commandClass
  }
  return undefined
}

export interface CallbackActor {
  readonly isAdmin: boolean
  /** Trusted per the trust lists (admins count as trusted too). */
  readonly isTrusted: boolean
  /** OpenClaw tenant, handed to the installation resolver when there is one. */
  readonly tenantId?: string | undefined
}

export type ClassDecision =
  | { readonly _tag: "Accept"; readonly code: CallbackAcceptCode; readonly commandClass: CommandClass }
  | { readonly _tag: "Deny"; readonly code: "cb_reject_policy_denied" | "cb_reject_unknown_action"; readonly message: string }

/**
 * Step 9 of §7: what the actor may do with an action of this class. An untrusted press on a
 * `run` action is admitted only as an approval request; an admin action needs an admin.
 */
export const decideClass = (commandClass: string, actor: CallbackActor): ClassDecision => {
  switch (commandClass) {
    case "public":
      return { _tag: "Accept", code: "cb_accept_public", commandClass }
    case "run":
      return actor.isAdmin || actor.isTrusted
        ? { _tag: "Accept", code: "cb_accept_run", commandClass }
        : { _tag: "Accept", code: "cb_require_approval", commandClass }
    case "admin":
      return actor.isAdmin
        ? { _tag: "Accept", code: "cb_accept_admin", commandClass }
        : { _tag: "Deny", code: "cb_reject_policy_denied", message: "admin_required" }
    default:
      return { _tag: "Deny", code: "cb_reject_unknown_action", message: "unsupported_command_class" }
  }
}

/** Step 6 of §7: installation registry reasons -> result codes (`stale_token_ref*` by prefix). */
export const installationRejectCode = (reason: string): CallbackRejectCode => {
  if (reason === "missing_binding") return "cb_reject_missing_installation"
  if (reason === "ambiguous_binding") return "cb_reject_ambiguous_installation"
  if (reason === "inactive_binding") return "cb_reject_inactive_installation"
  if (reason.startsWith("stale_token_ref")) return "cb_reject_stale_token_ref"
  if (reason === "tenant_mismatch") return "cb_reject_tenant_mismatch"
  return "cb_reject_invalid_envelope"
}
