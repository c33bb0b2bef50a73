import { Option, Schema } from "effect"

/**
 * ComfyUI's websocket protocol (`/ws?clientId=`): JSON text frames `{type, data}`; binary frames
 * carry previews and are ignored by the caller. Only the fields the connector uses are decoded;
 * unknown fields are ignored and unknown `type`s (or malformed known ones) decode to nothing, so a
 * newer ComfyUI never breaks the socket.
 */

/** Node ids are strings in ComfyUI's API format; some builds send numbers. */
const NodeId = Schema.Union(Schema.String, Schema.Number)
const PromptId = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256))
const Text = Schema.optional(Schema.NullOr(Schema.Unknown))

const frame = <T extends string, D extends Schema.Struct.Fields>(type: T, data: D) =>
  Schema.Struct({ type: Schema.Literal(type), data: Schema.Struct(data) })

const Status = frame("status", {
  status: Schema.optional(Schema.NullOr(Schema.Struct({
    exec_info: Schema.Struct({ queue_remaining: Schema.Number })
  })))
})
const ExecutionStart = frame("execution_start", { prompt_id: PromptId })
const Executing = frame("executing", { node: Schema.NullOr(NodeId), prompt_id: PromptId })
const Progress = frame("progress", {
  value: Schema.Number,
  max: Schema.Number,
  prompt_id: PromptId,
  node: Schema.optional(Schema.NullOr(NodeId))
})
const Executed = frame("executed", { node: NodeId, prompt_id: PromptId })
const ExecutionSuccess = frame("execution_success", { prompt_id: PromptId })
const ExecutionError = frame("execution_error", {
  prompt_id: PromptId,
  exception_message: Text,
  exception_type: Text,
  node_type: Text,
  node_id: Text
})
const ExecutionInterrupted = frame("execution_interrupted", { prompt_id: PromptId, node_type: Text, node_id: Text })
const ExecutionCached = frame("execution_cached", { prompt_id: PromptId })

const Frame = Schema.Union(
  Status,
  ExecutionStart,
  Executing,
  Progress,
  Executed,
  ExecutionSuccess,
  ExecutionError,
  ExecutionInterrupted,
  ExecutionCached
)

/** What ComfyUI reported about an execution error (from a frame or a history message). */
export interface ErrorReport {
  readonly exceptionMessage: unknown
  readonly exceptionType: unknown
  readonly nodeType: unknown
  readonly nodeId: unknown
}

/** A decoded frame, in the adapter's words. */
export type ComfyMessage =
  | { readonly _tag: "Status"; readonly queueRemaining: number | undefined }
  | { readonly _tag: "Started"; readonly promptId: string }
  /** `node` undefined: ComfyUI finished the prompt (history is written by then). */
  | { readonly _tag: "Executing"; readonly promptId: string; readonly node: string | undefined }
  | { readonly _tag: "Progress"; readonly promptId: string; readonly node: string | undefined; readonly value: number; readonly max: number }
  | { readonly _tag: "Executed"; readonly promptId: string; readonly node: string }
  | { readonly _tag: "Success"; readonly promptId: string }
  | { readonly _tag: "Error"; readonly promptId: string; readonly report: ErrorReport }
  | { readonly _tag: "Interrupted"; readonly promptId: string }
  | { readonly _tag: "Cached"; readonly promptId: string }

/** What followers receive: decoded frames plus the socket's own state changes. */
export type HubMessage =
  | ComfyMessage
  /** The socket came up or went down; followers re-check history (frames may have been missed). */
  | { readonly _tag: "Link"; readonly up: boolean }
  /** ComfyUI's queue shrank: some prompt ended, so its history entry is there now. */
  | { readonly _tag: "QueueShrank" }

/** The prompt a message is about, if any. */
export const promptOf = (message: HubMessage): string | undefined =>
  message._tag === "Link" || message._tag === "QueueShrank" || message._tag === "Status" ? undefined : message.promptId

const nodeText = (node: string | number | null | undefined): string | undefined =>
  node === null || node === undefined ? undefined : String(node)

const toMessage = (f: typeof Frame.Type): ComfyMessage => {
  switch (f.type) {
    case "status":
      return { _tag: "Status", queueRemaining: f.data.status?.exec_info.queue_remaining }
    case "execution_start":
      return { _tag: "Started", promptId: f.data.prompt_id }
    case "executing":
      return { _tag: "Executing", promptId: f.data.prompt_id, node: nodeText(f.data.node) }
    case "progress":
      return { _tag: "Progress", promptId: f.data.prompt_id, node: nodeText(f.data.node), value: f.data.value, max: f.data.max }
    case "executed":
      return { _tag: "Executed", promptId: f.data.prompt_id, node: String(f.data.node) }
    case "execution_success":
      return { _tag: "Success", promptId: f.data.prompt_id }
    case "execution_error":
      return {
        _tag: "Error",
        promptId: f.data.prompt_id,
        report: {
          exceptionMessage: f.data.exception_message,
          exceptionType: f.data.exception_type,
          nodeType: f.data.node_type,
          nodeId: f.data.node_id
        }
      }
    case "execution_interrupted":
      return { _tag: "Interrupted", promptId: f.data.prompt_id }
    case "execution_cached":
      return { _tag: "Cached", promptId: f.data.prompt_id }
  }
}

const decodeFrame = Schema.decodeUnknownOption(Frame)

/**
 * One text frame: the message, or none when it is too large, not JSON, of an unknown type or
 * missing a field the connector needs.
 */
export const decodeText = (text: string, maxChars: number): Option.Option<ComfyMessage> => {
  if (text.length > maxChars) return Option.none()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Option.none()
  }
  return Option.map(decodeFrame(json), toMessage)
}
