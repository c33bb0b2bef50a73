import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  batchesOf,
  BUTTONS_ONLY_TEXT,
  MAX_TEXT_LENGTH,
  quickReplyItemsOf,
  textMessagesOf
} from "../../../src/adapters/line/Messages.js"
import type { RenderedButton } from "../../../src/domain/callbacks/Press.js"

const button = (label: string, data = `oc1|a|apr_1|c1.x.1.${label.length}`): RenderedButton => ({ label, data, style: "primary" })

describe("LINE messages (bug L4: LINE's real limits)", () => {
  it("short text is one message; empty text with no buttons is nothing", () => {
    expect(textMessagesOf("hello")).toEqual([{ type: "text", text: "hello" }])
    expect(textMessagesOf("")).toEqual([])
    expect(textMessagesOf("  \n ")).toEqual([])
  })

  it("text up to 5000 characters stays whole; longer text is split without losing anything", () => {
    expect(textMessagesOf("a".repeat(5000))).toHaveLength(1)
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(" ")
    const messages = textMessagesOf(words)
    expect(messages.length).toBeGreaterThan(1)
    for (const m of messages) expect(m.text.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH)
    expect(messages.map((m) => m.text.trimEnd()).join(" ")).toBe(words)
  })

  it("any text: every message within 5000 and non-blank, the characters kept in order", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 16_000, unit: "grapheme" }), (text) => {
        const messages = textMessagesOf(text)
        for (const m of messages) {
          expect(m.text.length).toBeLessThanOrEqual(MAX_TEXT_LENGTH)
          expect(m.text.trim()).not.toBe("")
        }
        expect(messages.map((m) => m.text).join("").replace(/\s/g, "")).toBe(text.trim() === "" ? "" : text.replace(/\s/g, ""))
      }),
      { numRuns: 200 }
    )
  })

  it("buttons become postback quick replies on the last message only", () => {
    const long = "x ".repeat(6000)
    const messages = textMessagesOf(long, [button("Approve apr_1234"), button("Reject apr_1234")])
    expect(messages.length).toBe(3)
    expect(messages.slice(0, -1).every((m) => m.quickReply === undefined)).toBe(true)
    expect(messages.at(-1)!.quickReply).toEqual({
      items: [
        { type: "action", action: { type: "postback", label: "Approve apr_1234", data: button("Approve apr_1234").data, displayText: "Approve apr_1234" } },
        { type: "action", action: { type: "postback", label: "Reject apr_1234", data: button("Reject apr_1234").data, displayText: "Reject apr_1234" } }
      ]
    })
  })

  it("quick replies: at most 13, labels cut to 20 characters, unusable buttons left out", () => {
    const many = Array.from({ length: 20 }, (_, i) => button(`Button number ${i} with a long label`))
    const items = quickReplyItemsOf(many)
    expect(items).toHaveLength(13)
    expect(items[0]!.action.label).toBe("Button number 0 with")
    expect(items[0]!.action.displayText).toBe("Button number 0 with")
    expect(quickReplyItemsOf([button("  "), button("ok", ""), button("big", "d".repeat(301))])).toEqual([])
  })

  it("buttons without text still get a message to ride on", () => {
    expect(textMessagesOf("", [button("Approve")])[0]!.text).toBe(BUTTONS_ONLY_TEXT)
  })

  it("calls carry at most 5 messages, in order", () => {
    expect(batchesOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).toEqual([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11]])
    expect(batchesOf([])).toEqual([])
  })
})
