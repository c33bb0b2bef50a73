import { isRecord } from "../render/Values.js"

/**
 * Whether a reply is shown where it would go (domain-core §13, the reference's F74 policy). Pure;
 * adapters call it before sending text. A suppressed reply is a successful no-op delivery, logged
 * at info level and never reported to the user.
 */

export type VisibilityMode = "visible" | "suppress_text" | "tool_only" | "internal"

export type VisibilityReason =
  | "interactive_action_required"
  | "internal_delivery"
  | "file_delivery_preserved"
  | "text_reply_suppressed"
  | "group_no_mention"
  | "visible"

export interface ReplyVisibilityInput {
  /** The stored delivery context of the reply (keys as the reference's: `reply_visibility`, `chat_type`...). */
  readonly deliveryContext?: Readonly<Record<string, unknown>> | undefined
  readonly platform?: string | undefined
  readonly channelKind?: string | undefined
  /** Tri-state: undefined means the adapter cannot tell. */
  readonly mentioned?: boolean | undefined
  readonly inThread?: boolean | undefined
  readonly text?: string | undefined
  readonly hasButtons?: boolean | undefined
  readonly hasFiles?: boolean | undefined
}

export interface ReplyVisibilityDecision {
  readonly visible: boolean
  readonly suppressed: boolean
  readonly mode: VisibilityMode
  readonly reason: VisibilityReason
  readonly diagnostics: {
    readonly platform: string
    readonly mode: VisibilityMode
    readonly channelKind: string
    readonly inThread: boolean
    readonly hasText: boolean
    readonly hasButtons: boolean
    readonly hasFiles: boolean
  }
}

const MODE_KEYS = ["reply_visibility", "visibility", "reply_visibility_mode"] as const

const MODE_ALIASES: ReadonlyMap<string, VisibilityMode> = new Map([
  ...["suppress_text", "suppress", "silent", "no_text", "none"].map((k) => [k, "suppress_text"] as const),
  ...["tool_only", "tool-only", "tool", "action_only", "action-only"].map((k) => [k, "tool_only"] as const),
  ...["internal", "internal_only", "internal-only", "private"].map((k) => [k, "internal"] as const)
])

const has = (record: Readonly<Record<string, unknown>>, key: string) =>
  Object.prototype.hasOwnProperty.call(record, key)

/** Python `str(value or "")`: falsy values are "". */
const text = (value: unknown): string => (value ? String(value) : "")

/** Unknown values (including `true`/`false`) normalise to `visible`: only known words restrict. */
export const normaliseMode = (value: unknown): VisibilityMode =>
  MODE_ALIASES.get(text(value).trim().toLowerCase()) ?? "visible"

/** The first mode key present (presence wins, even with a null value), then inside `delivery_policy`. */
const modeOf = (context: Readonly<Record<string, unknown>>): VisibilityMode => {
  for (const scope of [context, context["delivery_policy"]]) {
    if (!isRecord(scope)) continue
    const key = MODE_KEYS.find((k) => has(scope, k))
    if (key !== undefined) return normaliseMode(scope[key])
  }
  return "visible"
}

/** Flag truthiness: booleans as they are, else a trimmed lower-cased word in 1/true/yes/y/on. */
export const flagTruthy = (value: unknown): boolean =>
  typeof value === "boolean" ? value : ["1", "true", "yes", "y", "on"].includes(text(value).trim().toLowerCase())

export const decideReplyVisibility = (input: ReplyVisibilityInput): ReplyVisibilityDecision => {
  const context = input.deliveryContext ?? {}
  const mode = modeOf(context)
  const channelKind = text(context["channel_kind"] || context["chat_type"] || input.channelKind).trim().toLowerCase()
  const inThread = input.inThread === true || text(context["thread_id"]).trim() !== ""
  const hasButtons = input.hasButtons === true
  const hasFiles = input.hasFiles === true
  const diagnostics = {
    platform: (input.platform || text(context["platform"])).trim(),
    mode,
    channelKind,
    inThread,
    hasText: (input.text ?? "").trim() !== "",
    hasButtons,
    hasFiles
  }
  const decide = (visible: boolean, decided: VisibilityMode, reason: VisibilityReason): ReplyVisibilityDecision => ({
    visible,
    suppressed: !visible,
    mode: decided,
    reason,
    diagnostics
  })

  if (hasButtons) return decide(true, "visible", "interactive_action_required")
  if (mode === "internal" || flagTruthy(context["internal_delivery"])) {
    return decide(false, "internal", "internal_delivery")
  }
  if (
    mode === "suppress_text" || mode === "tool_only" || flagTruthy(context["tool_only"]) ||
    flagTruthy(context["silent"])
  ) {
    return hasFiles ? decide(true, "visible", "file_delivery_preserved") : decide(false, mode, "text_reply_suppressed")
  }
  if (["group", "supergroup", "channel"].includes(channelKind)) {
    const mentioned = input.mentioned ??
      (has(context, "mentioned")
        ? flagTruthy(context["mentioned"])
        : has(context, "mentioned_bot")
        ? flagTruthy(context["mentioned_bot"])
        : undefined)
    if (mentioned === false && !inThread) return decide(false, "suppress_text", "group_no_mention")
  }
  return decide(true, "visible", "visible")
}
