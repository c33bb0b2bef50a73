/**
 * What every platform adapter hands to the core: one inbound chat message, already verified
 * and decoded at the edge. Ids are plain strings compared exactly (case-sensitive).
 */
export interface CommandRequest {
  /** Lower-case platform name: telegram, discord, line, whatsapp, wechat, kakao, slack, feishu. */
  readonly platform: string
  readonly senderId: string
  readonly channelId: string
  /** Informational only; never used for a decision. */
  readonly username: string
  /** The platform's id for this message (informational; replay keys are built by the adapter). */
  readonly messageId: string
  readonly text: string
  /** Workspace (Slack team, Feishu tenant); "" when the platform has none. */
  readonly workspaceId: string
  /** Thread or forum topic; "" when the message is not in one. */
  readonly threadId: string
  /** "dm", "group", "supergroup", "channel"...; undefined when the adapter cannot tell. */
  readonly channelKind?: string | undefined
  /** Whether the bot was mentioned; undefined when unknown. */
  readonly mentioned?: boolean | undefined
}

/** Where results of a command must later be delivered: the same chat, workspace and thread. */
export interface DeliveryTarget {
  readonly platform: string
  readonly channelId: string
  readonly senderId: string
  readonly workspaceId: string
  readonly threadId: string
}

export const deliveryTargetOf = (req: CommandRequest): DeliveryTarget => ({
  platform: req.platform.toLowerCase(),
  channelId: req.channelId,
  senderId: req.senderId,
  workspaceId: req.workspaceId,
  threadId: req.threadId
})
