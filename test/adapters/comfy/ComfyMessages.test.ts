import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { decodeText } from "../../../src/adapters/comfy/ComfyMessages.js"
import { socketUrl } from "../../../src/adapters/comfy/ComfySocket.js"

const decode = (frame: unknown) => Option.getOrUndefined(decodeText(JSON.stringify(frame), 1_000_000))

describe("ComfyUI websocket frames", () => {
  it("decodes every followed type, ignoring extra fields", () => {
    expect(decode({ type: "status", data: { status: { exec_info: { queue_remaining: 2 } }, sid: "x" } }))
      .toEqual({ _tag: "Status", queueRemaining: 2 })
    expect(decode({ type: "execution_start", data: { prompt_id: "p", timestamp: 1 } })).toEqual({ _tag: "Started", promptId: "p" })
    expect(decode({ type: "executing", data: { node: "3", display_node: "3", prompt_id: "p" } }))
      .toEqual({ _tag: "Executing", promptId: "p", node: "3" })
    expect(decode({ type: "executing", data: { node: null, prompt_id: "p" } })).toEqual({ _tag: "Executing", promptId: "p", node: undefined })
    expect(decode({ type: "progress", data: { value: 2, max: 20, prompt_id: "p", node: 3 } }))
      .toEqual({ _tag: "Progress", promptId: "p", node: "3", value: 2, max: 20 })
    expect(decode({ type: "executed", data: { node: "9", output: { images: [] }, prompt_id: "p" } }))
      .toEqual({ _tag: "Executed", promptId: "p", node: "9" })
    expect(decode({ type: "execution_success", data: { prompt_id: "p" } })).toEqual({ _tag: "Success", promptId: "p" })
    expect(decode({ type: "execution_interrupted", data: { prompt_id: "p", node_id: "3", executed: [] } }))
      .toEqual({ _tag: "Interrupted", promptId: "p" })
    expect(decode({ type: "execution_cached", data: { nodes: ["4"], prompt_id: "p" } })).toEqual({ _tag: "Cached", promptId: "p" })
    expect(decode({ type: "execution_error", data: { prompt_id: "p", exception_message: "OOM", node_type: "KSampler", node_id: "3" } }))
      .toMatchObject({ _tag: "Error", promptId: "p", report: { exceptionMessage: "OOM", nodeType: "KSampler", nodeId: "3" } })
  })

  it("ignores unknown types, malformed frames, progress without a prompt and oversized text", () => {
    expect(decode({ type: "progress_state", data: { prompt_id: "p", nodes: {} } })).toBeUndefined()
    expect(decode({ type: "executing", data: { node: "3" } })).toBeUndefined()
    expect(decode({ type: "progress", data: { value: 1, max: 2 } })).toBeUndefined()
    expect(decode({ type: "execution_start", data: { prompt_id: "" } })).toBeUndefined()
    expect(decode(["status"])).toBeUndefined()
    expect(Option.isNone(decodeText("{not json", 1_000))).toBe(true)
    const big = JSON.stringify({ type: "execution_start", data: { prompt_id: "p", pad: "x".repeat(200) } })
    expect(Option.isNone(decodeText(big, 100))).toBe(true)
    expect(Option.isSome(decodeText(big, 1_000))).toBe(true)
  })

  it("builds the socket URL from the backend URL", () => {
    expect(socketUrl("http://127.0.0.1:8188", "c1")).toEqual(Option.some("ws://127.0.0.1:8188/ws?clientId=c1"))
    expect(socketUrl("https://comfy.example/base/", "c 1")).toEqual(Option.some("wss://comfy.example/base/ws?clientId=c+1"))
    expect(socketUrl("ftp://x", "c")).toEqual(Option.none())
    expect(socketUrl("not a url", "c")).toEqual(Option.none())
  })
})
