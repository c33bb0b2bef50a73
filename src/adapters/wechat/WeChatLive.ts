import { Layer } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"

/** The WeChat webhook server when the platform is enabled (being built: issue 3). */
export const wechatLive = (config: ConnectorConfig) => config.wechat.enabled ? Layer.empty : Layer.empty
