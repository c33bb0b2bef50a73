import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { historyOutcome } from "../../../src/adapters/comfy/HistoryOutcome.js"

const entry = (fields: Record<string, unknown>) => ({ p1: { prompt: [], meta: {}, ...fields } })

describe("history entry → terminal signal (spec §5.4, §7; failures fixed)", () => {
  it("is nothing while the prompt is queued or running, or the body is not an object", () => {
    expect(historyOutcome("p1", {})).toEqual(Option.none())
    expect(historyOutcome("p1", { other: { outputs: {} } })).toEqual(Option.none())
    expect(historyOutcome("p1", [])).toEqual(Option.none())
    expect(historyOutcome("p1", { p1: "x" })).toEqual(Option.none())
  })

  it("collects outputs[*].images in order, previews included, other media ignored, defaults filled", () => {
    const outcome = historyOutcome("p1", entry({
      status: { status_str: "success", completed: true, messages: [] },
      outputs: {
        "9": { images: [{ filename: "a.png", subfolder: "s", type: "output" }, { filename: "b.png" }] },
        "12": { images: [{ filename: "prev.png", subfolder: "", type: "temp" }] },
        "15": { gifs: [{ filename: "x.mp4", subfolder: "", type: "output" }] },
        "20": { images: [{ subfolder: "" }, "junk", { filename: "a.png", subfolder: "s", type: "output" }] }
      }
    }))
    expect(outcome).toEqual(Option.some({
      _tag: "Succeeded",
      images: [
        { filename: "a.png", subfolder: "s", type: "output" },
        { filename: "b.png", subfolder: "", type: "output" },
        { filename: "prev.png", subfolder: "", type: "temp" },
        { filename: "a.png", subfolder: "s", type: "output" }
      ]
    }))
  })

  it("a success without outputs (or without a status, as old ComfyUI) succeeds with no images", () => {
    expect(historyOutcome("p1", entry({ outputs: {} }))).toEqual(Option.some({ _tag: "Succeeded", images: [] }))
    expect(historyOutcome("p1", entry({ status: { status_str: "success" } }))).toEqual(Option.some({ _tag: "Succeeded", images: [] }))
  })

  it("an error entry is Failed with ComfyUI's message, even when it has outputs", () => {
    const outcome = historyOutcome("p1", entry({
      outputs: { "9": { images: [{ filename: "partial.png", subfolder: "", type: "output" }] } },
      status: {
        status_str: "error",
        completed: false,
        messages: [
          ["execution_start", { prompt_id: "p1" }],
          ["execution_error", { prompt_id: "p1", node_id: "3", node_type: "KSampler", exception_message: "  CUDA out of memory\n", exception_type: "RuntimeError" }]
        ]
      }
    }))
    expect(outcome).toEqual(Option.some({ _tag: "Failed", message: "KSampler: CUDA out of memory" }))
  })

  it("interrupted and message-less errors have fixed texts; long messages are bounded", () => {
    expect(historyOutcome("p1", entry({ status: { status_str: "error", messages: [["execution_interrupted", { prompt_id: "p1" }]] } })))
      .toEqual(Option.some({ _tag: "Failed", message: "Execution interrupted" }))
    expect(historyOutcome("p1", entry({ status: { status_str: "error", messages: [] } })))
      .toEqual(Option.some({ _tag: "Failed", message: "Execution failed" }))
    const long = historyOutcome("p1", entry({ status: { status_str: "error", messages: [["execution_error", { exception_message: "x".repeat(2000) }]] } }))
    expect(Option.getOrThrow(long)).toEqual({ _tag: "Failed", message: `${"x".repeat(500)}...` })
  })
})
