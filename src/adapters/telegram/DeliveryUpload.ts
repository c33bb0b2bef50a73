import { Redacted } from "effect"
import { GrammyError, HttpError } from "grammy"
import { jsonOrUndefined } from "../http/JsonBody.js"
import type { UploadFile } from "./TelegramApi.js"
import { uploadFilename } from "../http/UploadFilename.js"

/**
 * sendPhoto / sendDocument as multipart/form-data with the file's real name and content type.
 * grammY's own multipart encoder labels every file `application/octet-stream` (and leaves the
 * filename unquoted), so uploads use Node's fetch/FormData here. Failures are thrown as grammY's
 * own error types, so `classifyFailure` maps them exactly like every other call: a Bot API error
 * answer as GrammyError, no answer as HttpError wrapping the network error (its code tells
 * whether the request never left). Nothing thrown carries the URL (the token is in its path).
 */

interface BotApiAnswer {
  readonly ok?: unknown
  readonly result?: { readonly message_id?: unknown }
  readonly error_code?: unknown
  readonly description?: unknown
  readonly parameters?: { readonly retry_after?: number }
}

const parseAnswer = (text: string): BotApiAnswer | undefined => {
  const value = jsonOrUndefined(text)
  return typeof value === "object" && value !== null ? value as BotApiAnswer : undefined
}

const failed = (method: string, status: number, description: string, parameters?: BotApiAnswer["parameters"]) =>
  new GrammyError(
    `Call to '${method}' failed!`,
    { ok: false, error_code: status, description, ...(parameters === undefined ? {} : { parameters }) },
    method,
    {}
  )

export type Uploader = (
  method: "sendPhoto" | "sendDocument",
  fields: Readonly<Record<string, string | number | undefined>>,
  fileField: "photo" | "document",
  file: UploadFile,
  signal: AbortSignal
) => Promise<number>

/** An uploader for `<apiRoot>/bot<token>/<method>`; resolves with the new message's id. */
export const makeUploader = (apiRoot: string, token: Redacted.Redacted): Uploader => {
  const root = apiRoot.replace(/\/+$/, "")
  const secret = Redacted.value(token) as string
  return async (method, fields, fileField, file, signal) => {
    const form = new FormData()
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, String(value))
    const blob = new Blob([file.bytes], { type: file.contentType === "" ? "application/octet-stream" : file.contentType })
    form.append(fileField, blob, uploadFilename(file.filename, fileField === "photo" ? "image.png" : "file"))
    let response: Response
    try {
      response = await fetch(`${root}/bot${secret}/${method}`, {
        method: "POST",
        body: form,
        signal
      })
    } catch (error) {
      throw new HttpError(`Network request for '${method}' failed!`, error)
    }
    const text = await response.text().catch(() => "")
    const answer = parseAnswer(text)
    if (answer === undefined) {
      // Not JSON (a proxy's page): a 4xx such as nginx's 413 keeps its status, anything else is
      // a server fault (as grammY's invalid-json).
      if (response.status >= 400 && response.status < 500) throw failed(method, response.status, response.statusText)
      throw new HttpError(`Invalid answer for '${method}'`, { type: "invalid-json" })
    }
    if (answer.ok !== true) {
      const status = typeof answer.error_code === "number" ? answer.error_code : response.status
      const description = typeof answer.description === "string" ? answer.description : response.statusText
      throw failed(method, status, description, answer.parameters)
    }
    const id = answer.result?.message_id
    if (typeof id !== "number") throw new HttpError(`Invalid answer for '${method}'`, { type: "invalid-json" })
    return id
  }
}
