import { describe, expect, it } from "vitest"
import {
  BODY_LIMIT,
  buttonMessages,
  buttonPayload,
  MAX_BUTTONS,
  TEXT_LIMIT,
  textChunks,
  textPayload,
  TITLE_LIMIT
} from "../../../src/adapters/whatsapp/Render.js"
import type { RenderedButton } from "../../../src/domain/callbacks/Press.js"

const button = (action: "a" | "r", approvalId: string, label: string): RenderedButton => ({
  label,
  data: `oc1|${action}|${approvalId}|c1.req${approvalId.replace(/[^A-Za-z0-9]/g, "")}.1700000000.0123456789abcdef01234567`,
  style: action === "a" ? "primary" : "danger"
})

describe("text chunks", () => {
  it("blank text sends nothing; short text is one body", () => {
    expect(textChunks("")).toEqual([])
    expect(textChunks(" \n ")).toEqual([])
    expect(textChunks("hello")).toEqual(["hello"])
  })

  it("long text is cut into bodies of at most 4096 characters, in order, losing nothing", () => {
    const text = Array.from({ length: 1500 }, (_, i) => `line ${i}`).join("\n")
    const chunks = textChunks(text)
    expect(chunks.length).toBeGreaterThan(1)
    expect(chunks.every((c) => c.length <= TEXT_LIMIT && c.trim() !== "")).toBe(true)
    expect(chunks.join("")).toBe(text)
    const solid = "x".repeat(10_000)
    expect(textChunks(solid).map((c) => c.length)).toEqual([4096, 4096, 1808])
  })
})

describe("reply buttons", () => {
  it("each approval's Approve/Reject go together in one message of at most 3 buttons", () => {
    const buttons = ["apr_000000000001", "apr_000000000002", "apr_000000000003"].flatMap((id) => [
      button("a", id, `Approve ${id.slice(0, 8)}`),
      button("r", id, `Reject ${id.slice(0, 8)}`)
    ])
    const messages = buttonMessages(buttons)
    expect(messages.map((m) => m.body)).toEqual(["Approval apr_000000000001", "Approval apr_000000000002", "Approval apr_000000000003"])
    expect(messages.map((m) => m.buttons.map((b) => b.title))).toEqual([
      ["Approve apr_0000", "Reject apr_0000"],
      ["Approve apr_0000", "Reject apr_0000"],
      ["Approve apr_0000", "Reject apr_0000"]
    ])
    expect(messages.flatMap((m) => m.buttons.map((b) => b.id))).toEqual(buttons.map((b) => b.data))
  })

  it("more than 3 buttons for one approval are split; titles are cut to 20 and unique in a message", () => {
    const many = Array.from({ length: 5 }, () => button("a", "apr_1", "Approve this very long request now"))
    const messages = buttonMessages(many)
    expect(messages.map((m) => m.buttons.length)).toEqual([3, 2])
    for (const m of messages) {
      expect(m.buttons.length).toBeLessThanOrEqual(MAX_BUTTONS)
      expect(m.buttons.every((b) => Array.from(b.title).length <= TITLE_LIMIT)).toBe(true)
      expect(new Set(m.buttons.map((b) => b.title)).size).toBe(m.buttons.length)
    }
    expect(messages[0]!.buttons[0]!.title).toBe("Approve this very lo")
  })

  it("titles are cut by characters, not UTF-16 units; the body stays within 1024", () => {
    const [m] = buttonMessages([button("a", "apr_1", "✅".repeat(30))])
    expect(Array.from(m!.buttons[0]!.title)).toHaveLength(TITLE_LIMIT)
    expect(m!.body.length).toBeLessThanOrEqual(BODY_LIMIT)
  })
})

describe("payloads", () => {
  it("text and interactive bodies have the Cloud API shape", () => {
    expect(textPayload("123", "hi")).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "123",
      type: "text",
      text: { preview_url: false, body: "hi" }
    })
    expect(buttonPayload("123", { body: "Approval apr_1", buttons: [{ id: "oc1|a|apr_1|c1.x", title: "Approve apr_1" }] })).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: "123",
      type: "interactive",
      interactive: {
        type: "button",
        body: { text: "Approval apr_1" },
        action: { buttons: [{ type: "reply", reply: { id: "oc1|a|apr_1|c1.x", title: "Approve apr_1" } }] }
      }
    })
  })
})
