import { Context, type Effect, type Option, Schema } from "effect"

/**
 * Images kept for a while under signed, expiring links, for platforms that fetch images by URL
 * (LINE, WhatsApp) and as the "link" rung of the delivery ladder. Files live in the state
 * directory (`<stateDir>/media`), capped by OPENCLAW_CONNECTOR_MEDIA_MAX_MB, removed after
 * OPENCLAW_CONNECTOR_MEDIA_TTL_SEC. Links are signed with a key that survives restarts and are
 * valid on every server that serves OPENCLAW_CONNECTOR_MEDIA_PATH.
 */
export class MediaError extends Schema.TaggedError<MediaError>()("MediaError", {
  reason: Schema.Literal(
    "too-large",
    "no-public-url", // OPENCLAW_CONNECTOR_PUBLIC_BASE_URL is not set: no link can be given out
    "unavailable" // the disk refused
  ),
  message: Schema.String
}) {}

export interface StoredMedia {
  /** Absolute public https URL under OPENCLAW_CONNECTOR_PUBLIC_BASE_URL + MEDIA_PATH, signed. */
  readonly url: string
  /** A smaller preview's URL (LINE `previewImageUrl`); the same as `url` when no preview exists. */
  readonly previewUrl: string
  readonly expiresAtMillis: number
}

export interface MediaFile {
  readonly bytes: Uint8Array
  readonly contentType: string
  readonly filename: string
}

export class MediaStore extends Context.Tag("ports/MediaStore")<MediaStore, {
  readonly put: (file: MediaFile) => Effect.Effect<StoredMedia, MediaError>
  /**
   * The file behind a request path below MEDIA_PATH (e.g. `/<id>?exp=..&sig=..` as the route got
   * it): none for a bad signature, an expired link or a missing file (the route answers 404
   * `Media Not Found or Expired` for all of them alike).
   */
  readonly open: (pathAndQuery: string) => Effect.Effect<Option.Option<MediaFile>>
}>() {}
