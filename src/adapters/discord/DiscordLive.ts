import { Layer } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"

/** The Discord gateway adapter when the platform is enabled; being built. */
export const discordLive = (config: ConnectorConfig) => config.discord.enabled ? Layer.empty : Layer.empty
