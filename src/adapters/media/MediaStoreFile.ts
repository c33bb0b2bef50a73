import { randomBytes } from "node:crypto"
import { Clock, Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { MediaError, type MediaFile, MediaStore, type StoredMedia } from "../../ports/MediaStore.js"
import { prepareDir, readMedia, safeFilename, sweepExpired, writeMedia } from "./MediaDir.js"
import { type MediaKeyError, mediaSigningKey } from "./MediaKey.js"
import { mediaLinkBase, type OpenedMedia } from "./MediaResponse.js"
import { isExpired, mintToken, normalizeContentType, verifyToken } from "./MediaToken.js"

/**
 * `MediaStore` on the local file system (spec backend-and-delivery.md §5.9, fixed as decisions.md
 * says). Links: `<publicBaseUrl><mediaPath>/<token>` (MediaToken.ts); files: MediaDir.ts.
 *
 * - `put` fails `no-public-url` when no PUBLIC_BASE_URL is configured (checked first: no link
 *   could be given out), `too-large` above `maxBytes`, `unavailable` when the disk refuses.
 * - `previewUrl` is always `url`: making a smaller copy needs an image codec this project does
 *   not ship. LINE shows the image itself as preview; it asks previews to be at most 1 MB.
 * - Expired files are removed by a sweep at startup, then every `sweepEvery` (default 1 minute)
 *   for as long as the layer lives, each looking at a bounded number of directory entries; `put`
 *   never scans the directory. Files stay `graceSec` (60 s) past their link's expiry, for
 *   downloads in flight; the link itself stops working at its expiry.
 * - `open` hands back the file with its link's signed expiry (`OpenedMedia`), so the route sets
 *   its cache lifetime without reading the token again.
 * - Links stay valid across restarts and across servers as long as the directory and the key
 *   (MediaKey.ts) stay the same.
 */
export interface MediaStoreFileOptions {
  /** Absolute; created with mode 0700. */
  readonly dir: string
  readonly ttlSec: number
  /** MEDIA_MAX_MB × 1 MiB. */
  readonly maxBytes: number
  /** OPENCLAW_CONNECTOR_MEDIA_PATH (`/media`). */
  readonly mediaPath: string
  /** OPENCLAW_CONNECTOR_PUBLIC_BASE_URL. */
  readonly publicBaseUrl: Option.Option<string>
  readonly signingKey: Redacted.Redacted<Uint8Array>
  readonly sweepEvery?: Duration.DurationInput
  readonly graceSec?: number
  /** Directory entries one sweep looks at (default 2,000). */
  readonly sweepMaxEntries?: number
}

const errnoOf = (e: unknown): string => String((e as NodeJS.ErrnoException | undefined)?.code ?? "error")

const make = (options: MediaStoreFileOptions) =>
  Effect.gen(function*() {
    const key = Redacted.value(options.signingKey)
    const graceMillis = (options.graceSec ?? 60) * 1000
    const linkBase = Option.map(options.publicBaseUrl, (base) => mediaLinkBase(base, options.mediaPath))

    yield* Effect.tryPromise({
      try: () => prepareDir(options.dir),
      catch: (e) => new MediaError({ reason: "unavailable", message: `media directory unavailable (${errnoOf(e)}): ${options.dir}` })
    })

    /** Best effort: a failed sweep is logged and retried by the next one. */
    const sweep = (maxEntries: number) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.tryPromise(() => sweepExpired(options.dir, now, { graceMillis, maxEntries }))).pipe(
          Effect.flatMap((removed) =>
            removed > 0 ? Effect.logDebug(`media sweep removed ${removed} expired file(s)`) : Effect.void
          ),
          Effect.catchAll((e) => Effect.logWarning(`media sweep failed (${errnoOf(e.error)})`))
        )

    yield* Effect.forkScoped(
      Effect.repeat(sweep(options.sweepMaxEntries ?? 2000), Schedule.spaced(options.sweepEvery ?? "1 minute"))
    )

    const put = (file: MediaFile): Effect.Effect<StoredMedia, MediaError> =>
      Effect.gen(function*() {
        if (Option.isNone(linkBase)) {
          return yield* new MediaError({
            reason: "no-public-url",
            message: "OPENCLAW_CONNECTOR_PUBLIC_BASE_URL is not set; media links cannot be given out."
          })
        }
        if (file.bytes.byteLength > options.maxBytes) {
          return yield* new MediaError({
            reason: "too-large",
            message: `Image too large (${file.bytes.byteLength} bytes; the limit is ${options.maxBytes}).`
          })
        }
        const now = yield* Clock.currentTimeMillis
        const claims = {
          id: randomBytes(16).toString("hex"),
          expiresAt: Math.floor(now / 1000) + options.ttlSec,
          contentType: normalizeContentType(file.contentType)
        }
        yield* Effect.tryPromise({
          try: () => writeMedia(options.dir, claims, { bytes: file.bytes, filename: safeFilename(file.filename, claims.id) }),
          catch: (e) => new MediaError({ reason: "unavailable", message: `media file could not be written (${errnoOf(e)})` })
        })
        const url = `${linkBase.value}/${mintToken(key, claims)}`
        return { url, previewUrl: url, expiresAtMillis: claims.expiresAt * 1000 }
      })

    /**
     * Fail closed: anything short of a valid, unexpired link to an intact file is `none` (404).
     * The file comes with the expiry its verified token carries (the port's `open` is this).
     */
    const open = (pathAndQuery: string): Effect.Effect<Option.Option<OpenedMedia>> =>
      Effect.gen(function*() {
        const claims = verifyToken(key, pathAndQuery)
        if (Option.isNone(claims)) return Option.none()
        const now = yield* Clock.currentTimeMillis
        if (isExpired(claims.value, now)) return Option.none()
        const file = yield* Effect.tryPromise(() => readMedia(options.dir, claims.value)).pipe(
          Effect.orElseSucceed(() => Option.none<MediaFile>())
        )
        return Option.map(file, (f): OpenedMedia => ({ ...f, expiresAtMillis: claims.value.expiresAt * 1000 }))
      })

    return MediaStore.of({ put, open })
  })

export const MediaStoreFile = {
  /** Scoped: the periodic sweep runs while the layer lives. Fails at startup if the directory cannot be made. */
  layer: (options: MediaStoreFileOptions): Layer.Layer<MediaStore, MediaError> => Layer.scoped(MediaStore, make(options)),
  /**
   * The layer from the connector configuration: key from the admin token (HKDF) or
   * `<stateDir>/media.key`, directory `config.media.dir`, cap `MEDIA_MAX_MB` MiB.
   */
  layerFromConfig: (
    config: Pick<ConnectorConfig, "stateDir" | "media" | "backend">
  ): Layer.Layer<MediaStore, MediaError | MediaKeyError> =>
    Layer.unwrapEffect(
      Effect.map(
        mediaSigningKey({ stateDir: config.stateDir, adminToken: config.backend.adminToken }),
        (signingKey) =>
          MediaStoreFile.layer({
            dir: config.media.dir,
            ttlSec: config.media.ttlSec,
            maxBytes: config.media.maxMb * 1024 * 1024,
            mediaPath: config.media.path,
            publicBaseUrl: config.media.publicBaseUrl,
            signingKey
          })
      )
    )
} as const
