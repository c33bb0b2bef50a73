import { createHash } from "node:crypto"
import type { CommandRequest } from "../../domain/model/Request.js"
import type { WeChatFields } from "./Xml.js"

/**
 * A parsed WeChat message or event -> what to do with it (spec §6.5, bug X6 fixed).
 *
 * - `text`: the trimmed Content is routed; an empty one is acknowledged.
 * - `subscribe` (with or without a QR scene in EventKey): `/help`, a command the core knows
 *   (the reference sent `/qr <key>`, which only earned "Unknown command").
 * - `SCAN` (a follower scanned a parametric QR code): acknowledged, nothing routed.
 * - `CLICK`: the menu's EventKey is routed as the command text.
 * - `unsubscribe`, `VIEW`: logged only.
 * - every other message or event type: acknowledged with `success`.
 *
 * Replay keys: `wechat:msg:<MsgId>` when there is a MsgId, else
 * `wechat:evt:<From>:<CreateTime>:<event>:<EventKey>`; a text without MsgId gets
 * `wechat:evt:<From>:<CreateTime>:text:<sha256(content)>` instead of skipping deduplication.
 * The body is not covered by the plain-mode signature, so over-long parts are hashed to keep
 * every key within the store's limits rather than refusing the event.
 */
export type Normalised =
  | {
    readonly _tag: "Route"
    readonly request: CommandRequest
    readonly eventKey: string
    /** The official account's id (ToUserName), the FromUserName of the passive reply. */
    readonly toUser: string
  }
  | { readonly _tag: "LogOnly"; readonly event: string; readonly sender: string; readonly detail: string }
  | { readonly _tag: "Ignore"; readonly why: string }

const MAX_KEY_PART = 128

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")

/** A key part as is when short, else its SHA-256 (collisions are as unlikely as forged hashes). */
const keyPart = (text: string): string => (text.length <= MAX_KEY_PART ? text : `sha256-${sha256(text)}`)

export const messageKey = (msgId: string): string => `wechat:msg:${keyPart(msgId)}`

export const eventKeyOf = (from: string, createTime: string, event: string, detail: string): string =>
  `wechat:evt:${keyPart(from)}:${keyPart(createTime)}:${keyPart(event)}:${keyPart(detail)}`

const ignore = (why: string): Normalised => ({ _tag: "Ignore", why })

export const normalise = (fields: WeChatFields): Normalised => {
  const msgType = (fields["MsgType"] ?? "").toLowerCase()
  const event = (fields["Event"] ?? "").toLowerCase()
  const from = fields["FromUserName"] ?? ""
  const toUser = fields["ToUserName"] ?? ""
  const createTime = fields["CreateTime"] || "0"
  const msgId = fields["MsgId"] ?? ""
  const eventKey = fields["EventKey"] ?? ""
  if (from === "") return ignore("no FromUserName")

  const route = (text: string, replayKey: string): Normalised => ({
    _tag: "Route",
    request: {
      platform: "wechat",
      senderId: from,
      channelId: from,
      username: from,
      messageId: msgId,
      text,
      workspaceId: "",
      threadId: "",
      channelKind: "dm"
    },
    eventKey: replayKey,
    toUser
  })

  if (msgType === "text") {
    const text = (fields["Content"] ?? "").trim()
    if (text === "") return ignore("empty text")
    return route(text, msgId !== "" ? messageKey(msgId) : eventKeyOf(from, createTime, "text", sha256(text)))
  }
  if (msgType !== "event") return ignore(`unsupported message type ${msgType || "(none)"}`)

  const keyFor = () => (msgId !== "" ? messageKey(msgId) : eventKeyOf(from, createTime, event, eventKey))
  switch (event) {
    case "subscribe":
      return route("/help", keyFor())
    case "click": {
      const text = eventKey.trim()
      return text === "" ? ignore("click without EventKey") : route(text, keyFor())
    }
    case "unsubscribe":
      return { _tag: "LogOnly", event, sender: from, detail: "" }
    case "view":
      return { _tag: "LogOnly", event, sender: from, detail: eventKey }
    case "scan":
      return ignore("scan by an existing follower")
    default:
      return ignore(`unsupported event ${event || "(none)"}`)
  }
}

/**
 * The reference's log-only allowlist (trimmed, case-insensitive): only logged. Trust is decided
 * by the core from Settings, exactly and case-sensitively.
 */
export const untrustedNote = (allowedUsers: ReadonlyArray<string>, userId: string): string | undefined => {
  const normalised = allowedUsers
    .map((u) => u.trim().toLowerCase().replace(/^wechat:/, ""))
    .filter((u) => u !== "")
  if (normalised.length === 0) return "Allow list empty; all users will require approval"
  return normalised.includes(userId.trim().toLowerCase()) ? undefined : "Not in allowlist; approval required"
}
