/**
 * The filename an upload carries in its multipart header (Telegram sendPhoto/sendDocument,
 * Discord attachments): the last path segment, without control characters or quotes, at most
 * 200 characters; `fallback` when nothing is left. ComfyUI names are plain; be safe anyway.
 */
export const uploadFilename = (filename: string, fallback: string): string => {
  const base = (filename.split(/[\\/]/).pop() ?? "").replace(/[\u0000-\u001f\u007f"]/g, "").trim()
  return base === "" ? fallback : base.slice(0, 200)
}
