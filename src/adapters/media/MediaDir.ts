import { chmod, mkdir, open, opendir, readFile, rename, unlink } from "node:fs/promises"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { Option } from "effect"
import type { MediaFile } from "../../ports/MediaStore.js"
import { CONTENT_TYPE_PATTERN, ID_PATTERN, type TokenClaims } from "./MediaToken.js"

/**
 * The media directory on disk. Promise-returning helpers; MediaStoreFile.ts wraps them in Effects.
 *
 * - The directory is absolute, created with mode 0700 (and set to 0700 if it already exists).
 * - One file per stored item, mode 0600, named `<expiry unix s>-<id>.media`: the expiry in the
 *   name lets the sweep decide without a stat or a read, and a token can only name the file its
 *   signed id and expiry point to. A file is written as `.tmp` and renamed, so a reader never
 *   sees half a file.
 * - File content: `OCM1\n` + one JSON line `{"id","contentType","filename"}` + `\n` + the bytes.
 *   The header's id and content type must match the token's, or the file is not served.
 */
const MAGIC = "OCM1\n"
const MAX_HEADER_BYTES = 1024
const NAME = /^([0-9]{1,12})-([0-9a-f]{32})\.(media|tmp)$/

export const mediaFileName = (claims: Pick<TokenClaims, "id" | "expiresAt">, suffix: "media" | "tmp" = "media") =>
  `${claims.expiresAt}-${claims.id}.${suffix}`

/** Creates (or tightens) the directory; refuses a relative path, the reference's 404-everything bug. */
export const prepareDir = async (dir: string): Promise<void> => {
  if (!isAbsolute(dir)) throw new Error(`media directory must be absolute: ${dir}`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
}

/** A download name that is safe in a header and on any file system. */
export const safeFilename = (raw: string, fallback: string): string => {
  const base = raw.split(/[\\/]/).pop() ?? ""
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "").slice(0, 128)
  return cleaned === "" ? fallback : cleaned
}

export const writeMedia = async (
  dir: string,
  claims: TokenClaims,
  file: Pick<MediaFile, "bytes" | "filename">
): Promise<void> => {
  const header = Buffer.from(
    MAGIC + JSON.stringify({ id: claims.id, contentType: claims.contentType, filename: file.filename }) + "\n",
    "utf8"
  )
  const tmp = join(dir, mediaFileName(claims, "tmp"))
  const handle = await open(tmp, "wx", 0o600)
  try {
    await handle.writeFile(Buffer.concat([header, file.bytes]))
  } catch (e) {
    await handle.close().catch(() => undefined)
    await unlink(tmp).catch(() => undefined)
    throw e
  }
  await handle.close()
  await rename(tmp, join(dir, mediaFileName(claims, "media")))
}

const parseHeader = (json: string): Option.Option<{ id: string; contentType: string; filename: string }> => {
  try {
    const value = JSON.parse(json) as Record<string, unknown> | null
    if (typeof value !== "object" || value === null) return Option.none()
    const { id, contentType, filename } = value
    return typeof id === "string" && typeof contentType === "string" && typeof filename === "string"
      ? Option.some({ id, contentType, filename })
      : Option.none()
  } catch {
    return Option.none()
  }
}

/**
 * The file a verified token names, or none: missing, unreadable, malformed, or a header that does
 * not match the token. The path is built only from the signed id (32 hex) and expiry (digits) and
 * is checked to sit directly in `dir`, so no input can reach outside it.
 */
export const readMedia = async (dir: string, claims: TokenClaims): Promise<Option.Option<MediaFile>> => {
  if (!ID_PATTERN.test(claims.id) || !CONTENT_TYPE_PATTERN.test(claims.contentType)) return Option.none()
  const path = join(dir, mediaFileName(claims))
  if (dirname(resolve(path)) !== resolve(dir)) return Option.none()
  let content: Buffer
  try {
    content = await readFile(path)
  } catch {
    return Option.none()
  }
  if (content.subarray(0, MAGIC.length).toString("latin1") !== MAGIC) return Option.none()
  const end = content.indexOf(0x0a, MAGIC.length)
  if (end < 0 || end > MAX_HEADER_BYTES) return Option.none()
  const header = parseHeader(content.subarray(MAGIC.length, end).toString("utf8"))
  if (Option.isNone(header) || header.value.id !== claims.id || header.value.contentType !== claims.contentType) {
    return Option.none()
  }
  return Option.some({
    bytes: new Uint8Array(content.buffer, content.byteOffset + end + 1, content.length - end - 1),
    contentType: claims.contentType,
    filename: header.value.filename
  })
}

/**
 * Removes files whose expiry (plus `graceMillis`, for clock skew and downloads in flight) has
 * passed, including `.tmp` leftovers of an interrupted write. Looks at no more than `maxEntries`
 * directory entries per call (bounded work: later calls reach the rest as earlier files go), and
 * never touches a name it did not write. Returns how many files it removed.
 */
export const sweepExpired = async (
  dir: string,
  nowMillis: number,
  options: { readonly graceMillis: number; readonly maxEntries: number }
): Promise<number> => {
  let seen = 0
  let removed = 0
  const handle = await opendir(dir)
  try {
    for (let entry = await handle.read(); entry !== null && seen < options.maxEntries; entry = await handle.read()) {
      seen++
      const m = NAME.exec(entry.name)
      if (m === null || !entry.isFile()) continue
      if (Number(m[1]!) * 1000 + options.graceMillis >= nowMillis) continue
      try {
        await unlink(join(dir, entry.name))
        removed++
      } catch {
        // Already gone (another sweep) or not removable now: a later sweep retries.
      }
    }
  } finally {
    await handle.close()
  }
  return removed
}
