import { ConfigProvider, Effect, Exit } from "effect"
import { type ConfigLoadError } from "../../../src/adapters/config/ConfigLoadError.js"
import { loadConnectorConfig, type LoadedConfig } from "../../../src/adapters/config/ConnectorConfig.js"

/** Runs the loader over exactly `env` (nothing from the real process environment). */
export const loadFrom = (env: Record<string, string>): Effect.Effect<LoadedConfig, ConfigLoadError> =>
  Effect.withConfigProvider(loadConnectorConfig, ConfigProvider.fromMap(new Map(Object.entries(env)), { pathDelim: "_" }))

export const load = (env: Record<string, string>): LoadedConfig => Effect.runSync(loadFrom(env))

export const loadError = (env: Record<string, string>): ConfigLoadError => {
  const exit = Effect.runSyncExit(loadFrom(env))
  if (Exit.isSuccess(exit)) throw new Error("expected the configuration to be refused")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a ConfigLoadError, got ${String(exit.cause)}`)
  return failure
}

export const C = "OPENCLAW_CONNECTOR_"
