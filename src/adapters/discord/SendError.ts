import { Schema } from "effect"

/**
 * A Discord REST call that failed after discord.js's own handling (429s are waited out by its
 * queue and never surface here). `rejected`: Discord refused the request (4xx: missing access,
 * unknown channel...), retrying cannot help; `unauthorized`: 401, the bot token is invalid;
 * `unreachable`: network error, timeout or 5xx, worth retrying. `detail` is fixed words plus
 * status and Discord error code: never a URL (interaction and webhook URLs carry tokens).
 */
export class DiscordSendError extends Schema.TaggedError<DiscordSendError>()("DiscordSendError", {
  reason: Schema.Literal("rejected", "unauthorized", "unreachable"),
  detail: Schema.String
}) {}

export const isRetryable = (error: DiscordSendError): boolean => error.reason === "unreachable"
