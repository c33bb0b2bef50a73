import { Option } from "effect"
import { isRecord } from "../../domain/render/Values.js"
import type { Json, ViewRequest } from "../../ports/Backend.js"
import type { JobSignal } from "../../ports/ComfyEvents.js"
import type { ErrorReport } from "./ComfyMessages.js"

/**
 * How a `/history/<id>` answer ends a prompt (spec backend-and-delivery §5.4, §7), with the
 * reference's bug fixed: an entry whose `status.status_str` is `error` (or whose messages hold
 * `execution_error` / `execution_interrupted`) is a failure with ComfyUI's own message, never
 * "finished with no images".
 */

export type Terminal = Extract<JobSignal, { readonly _tag: "Succeeded" | "Failed" }>

/** Failure texts are cut to this many characters. */
const MAX_MESSAGE = 500

export const INTERRUPTED = "Execution interrupted"
const FAILED = "Execution failed"

/** A non-blank string, trimmed (unlike Values.ts `nonEmptyString`, which keeps blanks and spaces). */
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined

const bound = (message: string): string =>
  message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message

/** `<node type>: <exception message>` as ComfyUI reported it; a fixed text when it said nothing. */
export const failureMessage = (report: ErrorReport): string => {
  const message = text(report.exceptionMessage) ?? text(report.exceptionType) ?? FAILED
  const nodeType = text(report.nodeType)
  return bound(nodeType === undefined ? message : `${nodeType}: ${message}`)
}

const reportOf = (data: unknown): ErrorReport => {
  const d = isRecord(data) ? data : {}
  return { exceptionMessage: d["exception_message"], exceptionType: d["exception_type"], nodeType: d["node_type"], nodeId: d["node_id"] }
}

/** The failure a history entry's `status` describes, if any. */
const failureOf = (status: unknown): Option.Option<string> => {
  if (!isRecord(status)) return Option.none()
  const messages = Array.isArray(status["messages"]) ? status["messages"] : []
  for (const message of messages) {
    if (!Array.isArray(message)) continue
    if (message[0] === "execution_error") return Option.some(failureMessage(reportOf(message[1])))
    if (message[0] === "execution_interrupted") return Option.some(INTERRUPTED)
  }
  return status["status_str"] === "error" ? Option.some(FAILED) : Option.none()
}

/**
 * §5.4 steps 1-2: every `outputs[node].images` list, nodes in the order the parsed object lists
 * them (integer-like node ids ascending, as JavaScript orders keys), previews (`temp`) included,
 * nothing de-duplicated. `subfolder` defaults to `""` and `type` to `output`; items without a
 * string `filename` are skipped.
 */
export const imagesOf = (outputs: unknown): ReadonlyArray<ViewRequest> => {
  if (!isRecord(outputs)) return []
  const images: Array<ViewRequest> = []
  for (const node of Object.values(outputs)) {
    if (!isRecord(node) || !Array.isArray(node["images"])) continue
    for (const item of node["images"]) {
      if (!isRecord(item) || typeof item["filename"] !== "string" || item["filename"] === "") continue
      images.push({
        filename: item["filename"],
        subfolder: typeof item["subfolder"] === "string" ? item["subfolder"] : "",
        type: typeof item["type"] === "string" && item["type"] !== "" ? item["type"] : "output"
      })
    }
  }
  return images
}

/** The terminal signal once `promptId` has a history entry; none while it is queued or running. */
export const historyOutcome = (promptId: string, body: Json): Option.Option<Terminal> => {
  if (!isRecord(body)) return Option.none()
  const entry = body[promptId]
  if (!isRecord(entry)) return Option.none()
  return Option.match(failureOf(entry["status"]), {
    onSome: (message): Option.Option<Terminal> => Option.some({ _tag: "Failed", message }),
    onNone: () => Option.some({ _tag: "Succeeded", images: imagesOf(entry["outputs"]) })
  })
}
