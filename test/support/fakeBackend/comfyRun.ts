import type { FakeComfySocket } from "./comfySocket.js"
import { executionError, type FakeState, type ImageRef, type Outputs, type PromptFailure } from "./state.js"

/** One node of a simulated run. */
export interface RunNode {
  readonly id: string
  /** Progress ticks sent while the node runs (`value` 1..steps, `max` steps). */
  readonly steps?: number
  /** Images the node outputs (sent in `executed` and kept in history `outputs`). */
  readonly images?: ReadonlyArray<ImageRef>
}

export interface RunOptions {
  /** Defaults to a txt2img graph: loader 4, sampler 3 (3 steps), decode 8, save 9, preview 12. */
  readonly nodes?: ReadonlyArray<RunNode>
  /**
   * `false` plays the frames up to the last node and stops there (no success, no history), so a
   * test can drop the socket mid-run and end the prompt by other means.
   */
  readonly finish?: boolean
}

export const defaultRunNodes = (promptId: string): ReadonlyArray<RunNode> => [
  { id: "4" },
  { id: "3", steps: 3 },
  { id: "8" },
  { id: "9", images: [{ filename: `ComfyUI_${promptId}_00001_.png`, subfolder: "", type: "output" }] },
  { id: "12", images: [{ filename: `ComfyUI_temp_${promptId}_00001_.png`, subfolder: "", type: "temp" }] }
]

const now = () => Date.now()

/** Drives ComfyUI's frames for one prompt (to every open socket) and its history entry. */
export class ComfyRun {
  constructor(private readonly state: () => FakeState, private readonly socket: FakeComfySocket) {}

  private status(): void {
    this.socket.emit({ type: "status", data: { status: { exec_info: { queue_remaining: this.state().queueRemaining() } } } })
  }

  private begin(promptId: string): void {
    if (!this.state().prompts.has(promptId)) this.state().queuePrompt("", promptId)
    this.status()
    this.socket.emit({ type: "execution_start", data: { prompt_id: promptId, timestamp: now() } })
    this.socket.emit({ type: "execution_cached", data: { nodes: [], prompt_id: promptId, timestamp: now() } })
  }

  private node(promptId: string, node: RunNode): void {
    this.socket.emit({ type: "executing", data: { node: node.id, display_node: node.id, prompt_id: promptId } })
    for (let value = 1; value <= (node.steps ?? 0); value++) {
      this.socket.emit({ type: "progress", data: { value, max: node.steps, prompt_id: promptId, node: node.id } })
    }
    if (node.images !== undefined) {
      this.socket.emit({
        type: "executed",
        data: { node: node.id, display_node: node.id, output: { images: node.images }, prompt_id: promptId }
      })
    }
  }

  /** ComfyUI's order after the last node: history is written, the queue shrinks, then `executing` null. */
  private end(promptId: string): void {
    this.status()
    this.socket.emit({ type: "executing", data: { node: null, prompt_id: promptId } })
  }

  /**
   * A successful run: status, execution_start, execution_cached, per node `executing`, `progress`
   * ticks and `executed` with its images, execution_success, then the history entry, a status
   * with the shorter queue and `executing` with node null. Returns the history outputs.
   */
  run(promptId: string, options: RunOptions = {}): Outputs {
    const nodes = options.nodes ?? defaultRunNodes(promptId)
    this.begin(promptId)
    for (const node of nodes) this.node(promptId, node)
    const outputs: Record<string, Record<string, unknown>> = {}
    for (const node of nodes) if (node.images !== undefined) outputs[node.id] = { images: node.images }
    if (options.finish === false) return outputs
    this.socket.emit({ type: "execution_success", data: { prompt_id: promptId, timestamp: now() } })
    this.state().completePrompt(promptId, outputs)
    this.end(promptId)
    return outputs
  }

  /** A failing run: start, the failing node's `executing` and one tick, execution_error, history with the error. */
  fail(promptId: string, failure: PromptFailure = {}): void {
    const nodeId = failure.nodeId ?? "3"
    const details = { ...failure, nodeId, nodeType: failure.nodeType ?? "KSampler" }
    this.begin(promptId)
    this.socket.emit({ type: "executing", data: { node: nodeId, display_node: nodeId, prompt_id: promptId } })
    this.socket.emit({ type: "progress", data: { value: 1, max: 20, prompt_id: promptId, node: nodeId } })
    this.socket.emit({ type: "execution_error", data: executionError(promptId, details, now()) })
    this.state().completePrompt(promptId, {}, "error", details)
    this.end(promptId)
  }
}
