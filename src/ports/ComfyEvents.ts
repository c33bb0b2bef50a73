import { Context, Schema, type Stream } from "effect"
import type { ViewRequest } from "./Backend.js"

/**
 * What the connector learns about one ComfyUI prompt while it runs, in order. The adapter feeds it
 * from ComfyUI's websocket (`/ws?clientId=`: status, execution_start, executing, progress,
 * executed, execution_success, execution_error, execution_cached) and falls back to polling
 * `/history/<id>` (the reference's 1,2,4,8,15 s backoff) while the socket is unavailable, so a
 * follower sees the same signals either way (polling only yields the terminal one).
 */
export type JobSignal =
  /** Waiting in ComfyUI's queue; `ahead` prompts before it when known. */
  | { readonly _tag: "Queued"; readonly ahead: number | undefined }
  | { readonly _tag: "Started" }
  /** A node started; `label` is its title or class type when known, else the node id. */
  | { readonly _tag: "Node"; readonly node: string; readonly label: string }
  | { readonly _tag: "Progress"; readonly node: string; readonly label: string; readonly value: number; readonly max: number }
  /** Finished; images in output order (`outputs[*].images`, previews included, as the reference). */
  | { readonly _tag: "Succeeded"; readonly images: ReadonlyArray<ViewRequest> }
  /** ComfyUI reported an execution error (or an interrupted prompt): its message, bounded. */
  | { readonly _tag: "Failed"; readonly message: string }

export const isTerminalSignal = (signal: JobSignal): boolean => signal._tag === "Succeeded" || signal._tag === "Failed"

/** Following stopped without a terminal signal. */
export class ComfyFollowError extends Schema.TaggedError<ComfyFollowError>()("ComfyFollowError", {
  reason: Schema.Literal(
    "timeout", // no terminal signal before the deadline
    "invalid-id" // the prompt id cannot be asked about
  ),
  message: Schema.String
}) {}

export class ComfyEvents extends Context.Tag("ports/ComfyEvents")<ComfyEvents, {
  /**
   * Signals of `promptId` until (and including) its terminal one; fails with `timeout` when
   * `deadlineMillis` (epoch ms, Effect Clock) passes first. Safe to call for a prompt that already
   * finished (the history answers at once) and after a restart.
   */
  readonly follow: (promptId: string, options: { readonly deadlineMillis: number }) => Stream.Stream<JobSignal, ComfyFollowError>
}>() {}
