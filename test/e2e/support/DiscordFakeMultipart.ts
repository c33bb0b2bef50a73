/** Multipart bodies as discord.js sends them for uploads: `payload_json` plus `files[n]` parts. */

export interface FakeUpload {
  /** The form field, e.g. `files[0]`. */
  readonly key: string
  readonly filename: string
  readonly contentType: string
  readonly size: number
  readonly bytes: Buffer
}

export interface ParsedMultipart {
  /** `payload_json`, parsed (undefined when absent or not JSON). */
  readonly body: any
  readonly files: ReadonlyArray<FakeUpload>
}

/** Parses with undici's FormData (what Node's fetch uses), so the encoding is checked for real. */
export const parseMultipart = async (raw: Buffer, contentType: string): Promise<ParsedMultipart> => {
  const form = await new Response(raw, { headers: { "content-type": contentType } }).formData()
  let body: any = undefined
  const files: Array<FakeUpload> = []
  for (const [key, value] of form.entries()) {
    if (typeof value === "string") {
      if (key === "payload_json") {
        try {
          body = JSON.parse(value)
        } catch {
          body = value
        }
      }
      continue
    }
    files.push({ key, filename: value.name, contentType: value.type, size: value.size, bytes: Buffer.from(await value.arrayBuffer()) })
  }
  return { body, files }
}
