import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Redacted } from "effect"
import {
  BUTTONS_ONLY_TEXT,
  MAX_CONTENT_LENGTH,
  wireMessagesOf
} from "../../../src/adapters/discord/Render.js"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { ButtonStoreMemory } from "../../../src/adapters/storage/memory/ButtonStoreMemory.js"
import type { RenderedButton } from "../../../src/domain/callbacks/Press.js"
import { COMPACT_TOKEN_MAX_BYTES } from "../../../src/domain/callbacks/CompactToken.js"
import { mintStoredButtons } from "../../../src/domain/callbacks/StoredPress.js"
import type { Reply } from "../../../src/domain/model/Reply.js"
import { CHANNEL } from "./support.js"

const button = (label: string, data: string, style: "primary" | "danger" = "primary"): RenderedButton => ({ label, data, style })

describe("wireMessagesOf", () => {
  it("a short reply is one message that pings nobody", () => {
    expect(wireMessagesOf("Unknown command: @everyone. Type /help for options.")).toEqual([
      { content: "Unknown command: @everyone. Type /help for options.", allowed_mentions: { parse: [] } }
    ])
  })

  it("nothing to say is no message", () => {
    expect(wireMessagesOf("")).toEqual([])
    expect(wireMessagesOf("  \n")).toEqual([])
  })

  it("long text is split at 2000 characters, on lines where possible, losing nothing", () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i} ${"x".repeat(40)}`)
    const text = lines.join("\n")
    const messages = wireMessagesOf(text)
    expect(messages.length).toBe(Math.ceil(text.length / MAX_CONTENT_LENGTH))
    for (const m of messages) {
      expect(m.content.length).toBeLessThanOrEqual(MAX_CONTENT_LENGTH)
      expect(m.allowed_mentions).toEqual({ parse: [] })
    }
    expect(messages.map((m) => m.content).join("")).toBe(text)
    expect(messages[0]!.content.endsWith("\n")).toBe(true)
  })

  it.prop("any text: every part fits, none is blank, and the words survive in order", [fc.string({ maxLength: 7000 })], ([text]) => {
    const messages = wireMessagesOf(text)
    for (const m of messages) {
      expect(m.content.length).toBeLessThanOrEqual(MAX_CONTENT_LENGTH)
      expect(m.content.trim()).not.toBe("")
    }
    const words = (s: string) => s.split(/\s+/).filter((w) => w !== "")
    expect(words(messages.map((m) => m.content).join(" "))).toEqual(words(text))
  })

  it("buttons ride on the last message as action rows with the token as custom_id", () => {
    const text = "y".repeat(2500)
    const messages = wireMessagesOf(text, [button("Approve apr_1", "c1.aaa"), button("Reject apr_1", "c1.bbb", "danger")])
    expect(messages).toHaveLength(2)
    expect(messages[0]!.components).toBeUndefined()
    expect(messages[1]!.components).toEqual([{
      type: 1,
      components: [
        { type: 2, style: 1, label: "Approve apr_1", custom_id: "c1.aaa" },
        { type: 2, style: 4, label: "Reject apr_1", custom_id: "c1.bbb" }
      ]
    }])
  })

  it("at most 5 buttons a row and 5 rows; blank labels are left out; labels are cut to 80", () => {
    const many = Array.from({ length: 30 }, (_, i) => button(`B${i}`, `c1.${i}`))
    const rows = wireMessagesOf("pick", many)[0]!.components!
    expect(rows.map((r) => r.components.length)).toEqual([5, 5, 5, 5, 5])
    const odd = wireMessagesOf("pick", [
      button("x".repeat(100), "c1.long-label"),
      button("  ", "c1.blank-label")
    ])[0]!.components!
    expect(odd).toEqual([{ type: 1, components: [{ type: 2, style: 1, label: "x".repeat(80), custom_id: "c1.long-label" }] }])
  })

  it("buttons without text get a short text to ride on", () => {
    expect(wireMessagesOf("", [button("Approve", "c1.a")])[0]!.content).toBe(BUTTONS_ONLY_TEXT)
  })
})

describe("stored-button tokens as custom_id", () => {
  const reply: Reply = {
    text: "Pending Approvals (1)",
    buttons: [
      { label: "Approve apr_0123456789ab", command: "/approve apr_0123456789ab", actionType: "approval.approve", approvalId: "apr_0123456789ab", style: "primary" },
      { label: "Reject apr_0123456789ab", command: "/reject apr_0123456789ab", actionType: "approval.reject", approvalId: "apr_0123456789ab", style: "danger" }
    ]
  }

  it.live("fit Discord's 100-character custom_id and carry no command text", () =>
    Effect.gen(function*() {
      const minted = yield* mintStoredButtons(reply, { channelId: CHANNEL })
      const rows = wireMessagesOf(reply.text, minted)[0]!.components!
      const ids = rows.flatMap((r) => r.components.map((c) => c.custom_id))
      expect(ids).toHaveLength(2)
      for (const id of ids) {
        expect(id.startsWith("c1.")).toBe(true)
        expect(id.length).toBeLessThanOrEqual(COMPACT_TOKEN_MAX_BYTES - 1)
        expect(id).not.toContain("approve")
        expect(id).not.toContain("apr_")
      }
    }).pipe(Effect.provide(Layer.merge(ButtonStoreMemory, CallbackSignerHmac.layer(Redacted.make("k"))))))
})
