import { Layer, Option } from "effect"
import type { CoreSettings } from "../../domain/model/Settings.js"
import { Settings } from "../../ports/Settings.js"
import type { ConnectorConfig } from "./ConnectorConfig.js"

/** The core's secret-free view of the configuration (trust lists keyed by platform name). */
export const toCoreSettings = (config: ConnectorConfig): CoreSettings => ({
  ...config.policy,
  trust: {
    telegram: { users: config.telegram.allowedUsers, chats: config.telegram.allowedChats },
    discord: { users: config.discord.allowedUsers, chats: config.discord.allowedChannels },
    line: { users: config.line.allowedUsers, chats: config.line.allowedGroups },
    whatsapp: { users: config.whatsapp.allowedUsers, chats: [] },
    wechat: { users: config.wechat.allowedUsers, chats: [] },
    kakao: { users: config.kakao.allowedUsers, chats: [] },
    slack: { users: config.slack.allowedUsers, chats: config.slack.allowedChannels },
    feishu: { users: config.feishu.allowedUsers, chats: config.feishu.allowedChats }
  },
  adminTokenConfigured: Option.isSome(config.backend.adminToken)
})

/** Provides the `Settings` port from a loaded configuration. */
export const settingsLayer = (config: ConnectorConfig): Layer.Layer<Settings> =>
  Layer.succeed(Settings, toCoreSettings(config))
