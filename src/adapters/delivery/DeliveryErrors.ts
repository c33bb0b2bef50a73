import { DeliveryError } from "../../ports/ChatDelivery.js"
import type { MediaError } from "../../ports/MediaStore.js"
import type { PlatformCallError } from "../http/PlatformApi.js"

/**
 * What a failed platform call or MediaStore put means for the delivery worker (see ChatDelivery's
 * reasons), shared by the platforms that send through `callPlatformApi` and fetch images by URL
 * (LINE, WhatsApp). Messages name the platform and the call, never a token or a URL.
 */

/** The image types LINE and WhatsApp image messages take (as the ladder's `contentTypeOf` names them). */
export const JPEG_OR_PNG: ReadonlySet<string> = new Set(["image/jpeg", "image/png"])

export interface CallErrorWording {
  /** Platform name as users read it: `LINE`, `WhatsApp`. */
  readonly platform: string
  /** What was being sent: `push`, `image`, `text`... */
  readonly what: string
  /** How a refused credential is described (default "refused the access token"). */
  readonly authRefused?: string
}

/**
 * - 413: `too-large` (the next rung may carry it);
 * - a refused credential or message: `rejected`; rate limited: `unavailable` (retried later);
 * - no answer: `unknown-outcome` when the request may have arrived, `unavailable` when it surely
 *   did not (`sent: "no"`) or the platform answered with a status;
 * - an answer that cannot be read: `unknown-outcome` (the platform may have acted on it).
 */
export const platformCallDeliveryError = (e: PlatformCallError, wording: CallErrorWording): DeliveryError => {
  const said = e.detail === undefined ? "" : `: ${e.detail}`
  const status = e.status === undefined ? "" : ` (HTTP ${e.status})`
  const error = (reason: DeliveryError["reason"], text: string) =>
    new DeliveryError({ reason, message: `${wording.platform} ${wording.what} ${text}${status}${said}` })
  if (e.status === 413) return error("too-large", "refused as too large")
  switch (e.reason) {
    case "auth-invalid":
      return error("rejected", wording.authRefused ?? "refused the access token")
    case "rejected":
      return error("rejected", "refused")
    case "rate-limited":
      return error("unavailable", "rate limited")
    case "unreachable":
      return e.status === undefined && e.sent !== "no" ? error("unknown-outcome", "got no answer") : error("unavailable", "unavailable")
    case "malformed":
      return error("unknown-outcome", "answer not understood")
  }
}

/**
 * A MediaStore refusal on a rung that sends the image by its link: too large stays `too-large`,
 * no public URL is `unsupported` (the next rung is tried), a disk failure is `unavailable`.
 */
export const mediaDeliveryError = (e: MediaError, platform: string): DeliveryError =>
  new DeliveryError({
    reason: e.reason === "too-large" ? "too-large" : e.reason === "no-public-url" ? "unsupported" : "unavailable",
    message: e.reason === "no-public-url"
      ? `Images need OPENCLAW_CONNECTOR_PUBLIC_BASE_URL (${platform} fetches them by URL)`
      : `Media store: ${e.message}`
  })
