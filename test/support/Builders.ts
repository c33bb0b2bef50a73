import { Layer } from "effect"
import type { CommandRequest } from "../../src/domain/model/Request.js"
import { type CoreSettings, defaultCoreSettings } from "../../src/domain/model/Settings.js"
import { Settings } from "../../src/ports/Settings.js"

/** A Telegram DM from user `1001` unless overridden. */
export const aRequest = (over: Partial<CommandRequest> = {}): CommandRequest => ({
  platform: "telegram",
  senderId: "1001",
  channelId: "1001",
  username: "someone",
  messageId: "m-1",
  text: "/help",
  workspaceId: "",
  threadId: "",
  ...over
})

/** Same request with another text. */
export const saying = (text: string, over: Partial<CommandRequest> = {}): CommandRequest => aRequest({ ...over, text })

export const ADMIN_ID = "9000"

/**
 * Settings with generous rate limits and one admin (`9000`) with the admin token configured;
 * everything else as the defaults. Override anything.
 */
export const aSettings = (over: Partial<CoreSettings> = {}): CoreSettings => ({
  ...defaultCoreSettings,
  adminUsers: [ADMIN_ID],
  adminTokenConfigured: true,
  rateLimitUserRpm: 600,
  rateLimitChannelRpm: 600,
  ...over
})

export const settingsLayer = (over: Partial<CoreSettings> = {}): Layer.Layer<Settings> =>
  Layer.succeed(Settings, aSettings(over))
