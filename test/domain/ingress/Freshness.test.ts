import { describe, expect, it } from "vitest"
import { FastCheck as fc } from "effect"
import { DEFAULT_FRESHNESS, freshnessOf, replayTtlMillisFor } from "../../../src/domain/ingress/Freshness.js"
import { isAddressedToBot } from "../../../src/domain/ingress/SharedChatGate.js"
import { saying } from "../../support/Builders.js"

const NOW = 1_700_000_000_000

describe("freshness window", () => {
  it("accepts -60 s .. +300 s of age, refuses beyond either edge", () => {
    expect(freshnessOf(NOW, NOW)).toBe("fresh")
    expect(freshnessOf(NOW, NOW - 300_000)).toBe("fresh")
    expect(freshnessOf(NOW, NOW - 300_001)).toBe("stale")
    expect(freshnessOf(NOW, NOW + 60_000)).toBe("fresh")
    expect(freshnessOf(NOW, NOW + 60_001)).toBe("future")
    expect(freshnessOf(NOW, 0)).toBe("stale")
  })

  it("a replay claim outlives every moment an event still looks fresh", () => {
    fc.assert(fc.property(fc.integer({ min: -60_000, max: 300_000 }), (age) => {
      const event = NOW - age
      expect(freshnessOf(NOW, event)).toBe("fresh")
      // Fresh at `now` means fresh only until event + 300 s; the claim made now lives longer.
      expect(NOW + replayTtlMillisFor()).toBeGreaterThan(event + DEFAULT_FRESHNESS.pastSeconds * 1000)
    }))
  })
})

describe("shared-chat gate", () => {
  it("handles DMs and unknown kinds always, group chatter only with a mention or a slash command", () => {
    expect(isAddressedToBot(saying("hello"))).toBe(true)
    expect(isAddressedToBot(saying("hello", { channelKind: "dm" }))).toBe(true)
    expect(isAddressedToBot(saying("hello", { channelKind: "group" }))).toBe(false)
    expect(isAddressedToBot(saying("hello", { channelKind: "room", mentioned: false }))).toBe(false)
    expect(isAddressedToBot(saying("status please", { channelKind: "group", mentioned: true }))).toBe(true)
    expect(isAddressedToBot(saying("  /status", { channelKind: "supergroup" }))).toBe(true)
  })
})
