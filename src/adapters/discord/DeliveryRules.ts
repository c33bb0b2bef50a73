import { createHash } from "node:crypto"
import { DiscordAPIError, HTTPError } from "discord.js"
import { DeliveryError } from "../../ports/ChatDelivery.js"
import { isNeverSent } from "../http/PlatformApi.js"
import { classifySendError } from "./DiscordRest.js"

/**
 * The pure parts of Discord's PlatformDelivery (Delivery.ts): nonces and error mapping.
 *
 * Nonces: create-message takes a `nonce` (at most 25 characters) and, with `enforce_nonce`,
 * answers a repeated nonce from the same author with the message it already created instead of
 * posting again. Deriving it from the ledger's idempotency key (plus what is sent and which part)
 * makes every resend of one item, by discord.js's own retries or by the worker after a restart,
 * the same request. Discord keeps nonces for a few minutes only: a resend after that window can
 * post a second copy.
 */

/** Discord's upload limit for bots in servers without boosts (10 MiB). */
export const DISCORD_UPLOAD_MAX_BYTES = 10 * 1024 * 1024

/** 25 hex characters (100 bits) of SHA-256 over what is sent, the item's key and the part. */
export const nonceOf = (kind: "text" | "image", idempotencyKey: string, part: number): string =>
  createHash("sha256").update(`${kind}\u0000${idempotencyKey}\u0000${part}`).digest("hex").slice(0, 25)

/**
 * A REST failure (after discord.js's queue waited out 429s and retried 5xx/timeouts) as the
 * port's error: 413 or "request entity too large" (40005) -> too-large; 401 (the token) and
 * 5xx -> unavailable; other 4xx (missing access, unknown channel) -> rejected; refused
 * connection -> unavailable; a timeout or a dropped connection -> unknown-outcome. The message
 * is classifySendError's detail: status and Discord code, never a URL.
 */
export const discordDeliveryErrorOf = (cause: unknown): DeliveryError => {
  const message = `Discord: ${classifySendError(cause).detail}`
  if (cause instanceof DiscordAPIError) {
    if (cause.status === 413 || cause.code === 40005) return new DeliveryError({ reason: "too-large", message })
    if (cause.status === 401 || cause.status === 429 || cause.status >= 500) return new DeliveryError({ reason: "unavailable", message })
    return new DeliveryError({ reason: "rejected", message })
  }
  if (cause instanceof HTTPError) return new DeliveryError({ reason: "unavailable", message })
  if (isNeverSent(cause)) return new DeliveryError({ reason: "unavailable", message })
  return new DeliveryError({ reason: "unknown-outcome", message })
}
