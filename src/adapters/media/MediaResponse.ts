import { Option } from "effect"
import type { MediaFile } from "../../ports/MediaStore.js"
import { safeFilename } from "./MediaDir.js"
import { normalizeContentType } from "./MediaToken.js"

/**
 * What the media route answers, as plain data shared by every server that serves it (the operator
 * server and the LINE/WhatsApp webhook servers). Spec backend-and-delivery.md §5.9 "Responses",
 * with the hardening decisions.md asks for:
 * - any failure (bad path, bad or tampered token, expired, missing file) is the same 404
 *   `Media Not Found or Expired`, `text/plain`, `no-store`: nothing tells the cases apart;
 * - success: the stored content type; `X-Content-Type-Options: nosniff`; `Cache-Control: private,
 *   max-age=<seconds left on the link>`; `Content-Disposition: inline` only for the raster images
 *   png, jpeg, webp and gif, `attachment` for everything else; types a browser could run (HTML,
 *   SVG, XML, script, CSS, message/rfc822) are also re-labelled `application/octet-stream`.
 */
export interface MediaHttpResponse {
  readonly status: 200 | 404
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | string
}

/**
 * A file as the file store's `open` hands it back: with the unix-millisecond expiry its verified
 * link carries (the response's cache lifetime). Structurally a `MediaFile`, so the MediaStore
 * port's `open` is unchanged; a store that gives no expiry gets `max-age=0`.
 */
export interface OpenedMedia extends MediaFile {
  readonly expiresAtMillis: number
}

/** The link expiry of an opened file, when its store gave one. */
export const expiresAtOf = (file: MediaFile): number | undefined => {
  const expiry = (file as Partial<OpenedMedia>).expiresAtMillis
  return typeof expiry === "number" && Number.isFinite(expiry) ? expiry : undefined
}

export const NOT_FOUND_TEXT = "Media Not Found or Expired"

export const notFound: MediaHttpResponse = {
  status: 404,
  headers: {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff"
  },
  body: NOT_FOUND_TEXT
}

const SAFE_RASTER = new Set(["image/png", "image/jpeg", "image/webp", "image/gif"])

const DANGEROUS = new Set([
  "text/html",
  "text/html-sandboxed",
  "application/xhtml+xml",
  "text/javascript",
  "application/javascript",
  "application/x-javascript",
  "application/ecmascript",
  "text/ecmascript",
  "text/css",
  "image/svg+xml",
  "application/xml",
  "text/xml",
  "message/rfc822",
  "multipart/x-mixed-replace",
  "application/pdf"
])

/**
 * A type a browser might render as a document or run (the reference's list, anything XML, HTML or
 * script-like, and anything that is not a clean `type/subtype`): never served under its own label.
 */
export const isDangerousType = (contentType: string): boolean => {
  const t = normalizeContentType(contentType)
  return t === "application/octet-stream" || DANGEROUS.has(t) || t.includes("xml") || t.includes("html") || t.includes("script")
}

export const mediaResponse = (file: MediaFile, secondsLeft: number): MediaHttpResponse => {
  const stored = normalizeContentType(file.contentType)
  const raster = SAFE_RASTER.has(stored)
  const type = isDangerousType(stored) ? "application/octet-stream" : stored
  return {
    status: 200,
    headers: {
      "content-type": type,
      "content-disposition": `${raster ? "inline" : "attachment"}; filename="${safeFilename(file.filename, "media")}"`,
      "x-content-type-options": "nosniff",
      "cache-control": `private, max-age=${Math.max(0, Math.floor(secondsLeft))}`
    },
    body: file.bytes
  }
}

/** MEDIA_PATH without trailing slashes; `""` when it is the root. */
export const normalizeMediaPath = (mediaPath: string): string => mediaPath.replace(/\/+$/, "")

/**
 * The part of a request path below MEDIA_PATH (`/media/abc` → `/abc`), or none when the path is
 * not strictly below it (`/media`, `/mediax/abc`). The path is taken as received, not decoded.
 */
export const mediaSubPath = (mediaPath: string, requestPath: string): Option.Option<string> => {
  const base = normalizeMediaPath(mediaPath)
  if (!requestPath.startsWith(`${base}/`)) return Option.none()
  const rest = requestPath.slice(base.length)
  return rest.length > 1 ? Option.some(rest) : Option.none()
}

/** `<PUBLIC_BASE_URL without trailing "/"><MEDIA_PATH without trailing "/">`: links append `/<token>`. */
export const mediaLinkBase = (publicBaseUrl: string, mediaPath: string): string => {
  const path = normalizeMediaPath(mediaPath)
  return publicBaseUrl.replace(/\/+$/, "") + (path.startsWith("/") || path === "" ? path : `/${path}`)
}
