import { Schema } from "effect"

/**
 * Startup refused because the configuration cannot be trusted. `variable` names the offending
 * environment variable (or file); `message` explains what is wrong and what to set. Neither ever
 * carries a secret value: callers build messages from variable names and positions only.
 */
export class ConfigLoadError extends Schema.TaggedError<ConfigLoadError>()("ConfigLoadError", {
  reason: Schema.Literal(
    "malformed", // a security-relevant variable does not parse (lists, JSON, mode switches, urls)
    "unguarded-platform", // strict profile with an enabled platform that has no allowlist
    "dotenv", // the .env file exists but cannot be read or parsed
    "unreadable" // the ConfigProvider itself failed
  ),
  variable: Schema.String,
  message: Schema.String
}) {}

/** A security-relevant variable is malformed; `problem` completes "VARIABLE <problem>". */
export const malformed = (variable: string, problem: string): ConfigLoadError =>
  new ConfigLoadError({ reason: "malformed", variable, message: `${variable} ${problem}` })
