import { Layer } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"

/** The Telegram adapter (long polling or webhook) when the platform is enabled; being built. */
export const telegramLive = (config: ConnectorConfig) => config.telegram.enabled ? Layer.empty : Layer.empty
