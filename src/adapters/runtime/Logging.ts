import { Layer, Logger, LogLevel } from "effect"

/**
 * One log line per event in logfmt on stdout. The level comes from OPENCLAW_CONNECTOR_LOG_LEVEL
 * (or debug when OPENCLAW_CONNECTOR_DEBUG=1). Secrets never reach a log call: they are `Redacted`
 * from configuration to the call site.
 */
const LEVELS: Record<string, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

export const levelOf = (name: string): LogLevel.LogLevel => LEVELS[name.trim().toLowerCase()] ?? LogLevel.Info

export const LoggingLive = (level: string) =>
  Layer.merge(Logger.logFmt, Logger.minimumLogLevel(levelOf(level)))
