import { Layer } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"

/** The WhatsApp webhook server when the platform is enabled (being built: issue 3). */
export const whatsappLive = (config: ConnectorConfig) => config.whatsapp.enabled ? Layer.empty : Layer.empty
