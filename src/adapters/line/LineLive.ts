import { Layer } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"

/** The LINE webhook server when the platform is enabled (being built: issue 3). */
export const lineLive = (config: ConnectorConfig) => config.line.enabled ? Layer.empty : Layer.empty
