import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  cardBlocks,
  escapeSlackText,
  MAX_ACTIONS_ELEMENTS,
  MAX_BLOCKS,
  messagesOf,
  SECTION_TEXT_LIMIT,
  SLACK_TEXT_LIMIT
} from "../../../src/adapters/slack/Render.js"
import type { RenderedButton } from "../../../src/domain/callbacks/Press.js"

/** Block Kit limits and text splitting (bug 6: unique action ids, no button silently dropped at 5). */
const button = (i: number): RenderedButton => ({
  label: `${i % 2 === 0 ? "Approve" : "Reject"} apr_${String(i).padStart(4, "0")}`,
  data: `oc1|${i % 2 === 0 ? "a" : "r"}|apr_${i}|c1.abcdefghijklmnop.1700000000.mac${i}`,
  style: i % 2 === 0 ? "primary" : "danger"
})

describe("Slack rendering", () => {
  it("an approvals card: section text and one actions block whose buttons carry the signed data, with unique action ids", () => {
    const [card] = messagesOf("Pending approvals:\n- apr_0000", [button(0), button(1), button(2), button(3), button(4), button(5)])
    expect(card!.text).toBe("Pending approvals:\n- apr_0000")
    expect(card!.blocks![0]).toEqual({ type: "section", text: { type: "plain_text", text: "Pending approvals:\n- apr_0000", emoji: false } })
    const actions = card!.blocks![1] as any
    expect(actions.type).toBe("actions")
    expect(actions.elements).toHaveLength(6)
    expect(actions.elements[0]).toEqual({
      type: "button",
      action_id: "openclaw.0",
      text: { type: "plain_text", text: "Approve apr_0000", emoji: true },
      value: button(0).data,
      style: "primary"
    })
    expect(new Set(actions.elements.map((e: any) => e.action_id)).size).toBe(6)
    expect(actions.elements.map((e: any) => e.style)).toEqual(["primary", "danger", "primary", "danger", "primary", "danger"])
  })

  it.prop("actions blocks hold at most 25 buttons, a message at most 50 blocks, action ids are unique", [fc.integer({ min: 1, max: 1400 })], ([n]) => {
    const blocks = cardBlocks("text", Array.from({ length: n }, (_, i) => button(i)))
    expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS)
    const actions = blocks.filter((b) => b["type"] === "actions") as Array<any>
    for (const a of actions) expect(a.elements.length).toBeLessThanOrEqual(MAX_ACTIONS_ELEMENTS)
    const ids = actions.flatMap((a) => a.elements.map((e: any) => e.action_id))
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBe(Math.min(n, (MAX_BLOCKS - 1) * MAX_ACTIONS_ELEMENTS))
  })

  it("labels are cut at 75 characters; data over 2000 characters is left out", () => {
    const blocks = cardBlocks("t", [{ label: "x".repeat(100), data: "oc1|a|id|c1.x", style: "primary" }, { label: "y", data: "z".repeat(2001), style: "danger" }])
    const elements = (blocks[1] as any).elements
    expect(elements).toHaveLength(1)
    expect(elements[0].text.text).toHaveLength(75)
  })

  it("text is escaped for Slack and split at 4000 characters; with buttons the card's section stays within 3000", () => {
    expect(escapeSlackText("/run <template> a&b > c")).toBe("/run &lt;template&gt; a&amp;b &gt; c")
    const long = Array.from({ length: 900 }, (_, i) => `line ${i}`).join("\n")
    const plain = messagesOf(long, [])
    expect(plain.length).toBeGreaterThan(1)
    expect(plain.every((m) => m.text.length <= SLACK_TEXT_LIMIT && m.blocks === undefined)).toBe(true)
    expect(plain.map((m) => m.text).join("")).toBe(long)
    const withButtons = messagesOf(long, [button(0)])
    const card = withButtons.at(-1)!
    expect(((card.blocks![0] as any).text.text as string).length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT)
    expect(withButtons.slice(0, -1).every((m) => m.blocks === undefined)).toBe(true)
    expect(withButtons.map((m) => m.text).join("")).toBe(long)
    expect(messagesOf("   ", [])).toEqual([])
  })
})
