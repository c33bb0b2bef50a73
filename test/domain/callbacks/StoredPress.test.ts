import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Option, TestClock } from "effect"
import { BUTTON_LIFETIME_SECONDS, mintButtons, pressButton, PressTexts } from "../../../src/domain/callbacks/Press.js"
import { handleStoredPress, isStoredButtonData, mintStoredButtons } from "../../../src/domain/callbacks/StoredPress.js"
import type { Reply } from "../../../src/domain/model/Reply.js"
import { ButtonStoreMemory } from "../../../src/adapters/storage/memory/ButtonStoreMemory.js"
import { ButtonStore } from "../../../src/ports/ButtonStore.js"
import { StoreError } from "../../../src/ports/StoreError.js"
import { ADMIN_ID, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"
import { NOW_MILLIS, signerLayer } from "./support/fixtures.js"
import { ReplayStoreMemory } from "./support/ReplayStoreMemory.js"

const approvals: Reply = {
  text: "Pending approvals",
  buttons: [
    { label: "Approve apr_1a2b3c4d5e6f", command: "/approve apr_1a2b3c4d5e6f", actionType: "approval.approve", approvalId: "apr_1a2b3c4d5e6f", style: "primary" },
    { label: "Reject apr_1a2b3c4d5e6f", command: "/reject apr_1a2b3c4d5e6f", actionType: "approval.reject", approvalId: "apr_1a2b3c4d5e6f", style: "danger" }
  ]
}

const admin = saying("", { platform: "telegram", senderId: ADMIN_ID, channelId: "-1001234567890" })
const stranger = saying("", { platform: "telegram", senderId: "999", channelId: "-1001234567890" })

const BrokenButtonStore = Layer.succeed(ButtonStore, ButtonStore.of({
  put: () => new StoreError({ reason: "unavailable", operation: "button-put" }),
  get: () => new StoreError({ reason: "unavailable", operation: "button-get" })
}))

const setup = (buttons: Layer.Layer<ButtonStore> = ButtonStoreMemory) => {
  const h = harness()
  h.backend.set("approve", { approved: true, executed: true, prompt_id: "p-1" })
  h.backend.set("reject", { rejected: true })
  return { h, layer: Layer.mergeAll(h.layer, signerLayer, ReplayStoreMemory, buttons) }
}

const mint = (channelId = admin.channelId) => mintStoredButtons(approvals, { channelId })

describe("stored buttons (Telegram/Discord payload limits)", () => {
  it.effect("button data is only the compact token and fits Telegram's 64 bytes", () => {
    const { layer } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const buttons = yield* mint()
      expect(buttons.map((b) => [b.label, b.style])).toEqual([["Approve apr_1a2b3c4d5e6f", "primary"], ["Reject apr_1a2b3c4d5e6f", "danger"]])
      for (const b of buttons) {
        expect(isStoredButtonData(b.data)).toBe(true)
        expect(Buffer.byteLength(b.data)).toBeLessThanOrEqual(64)
        expect(b.data).not.toContain("apr_")
      }
    }).pipe(Effect.provide(layer))
  })

  it.effect("an admin's press runs the stored action once; a second press is a duplicate", () => {
    const { h, layer } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const [, reject] = yield* mint()
      const first = yield* handleStoredPress(admin, reject!.data)
      expect(first._tag).toBe("Replied")
      expect(h.backend.callsTo("reject")).toHaveLength(1)
      expect(yield* handleStoredPress(admin, reject!.data)).toEqual({ _tag: "Duplicate" })
      expect(h.backend.callsTo("reject")).toHaveLength(1)
      expect(h.backend.callsTo("approve")).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a stranger's press, another chat, an unknown token and an expired button are refused", () => {
    const { h, layer } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const [approve] = yield* mint()
      expect(yield* handleStoredPress(stranger, approve!.data)).toMatchObject({ _tag: "Rejected", text: PressTexts.adminOnly })
      expect(yield* handleStoredPress({ ...admin, channelId: "-100999" }, approve!.data)).toMatchObject({ _tag: "Rejected", reason: "cb_reject_signature" })
      expect(yield* handleStoredPress(admin, "c1.AAAAAAAAAAAAAAAA.1700000000.0123456789abcdef0123456789abcdef")).toMatchObject({ _tag: "Rejected", text: PressTexts.expired })
      expect(yield* handleStoredPress(admin, "/approve apr_1a2b3c4d5e6f")).toMatchObject({ _tag: "Rejected", text: PressTexts.invalid })
      yield* TestClock.adjust((BUTTON_LIFETIME_SECONDS + 1) * 1000)
      expect(yield* handleStoredPress(admin, approve!.data)).toMatchObject({ _tag: "Rejected", text: PressTexts.expired })
      expect(h.backend.calls).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a store that cannot answer mints no buttons and refuses presses (nothing runs)", () => {
    const { h, layer } = setup(BrokenButtonStore)
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      expect(yield* mint()).toEqual([])
      const exit = yield* Effect.either(handleStoredPress(admin, "c1.AAAAAAAAAAAAAAAA.1700000000.0123456789abcdef0123456789abcdef"))
      expect(exit._tag === "Left" && exit.left.reason).toBe("store-unavailable")
      expect(h.backend.calls).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("pressButton runs a looked-up button directly; handleStoredPress is that press after a store lookup", () => {
    const { h, layer } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const [approve, reject] = yield* mint()
      const outcome = yield* pressButton(admin, { action: "approval.approve", approvalId: "apr_1a2b3c4d5e6f", token: approve!.data })
      expect(outcome._tag).toBe("Replied")
      expect(h.backend.callsTo("approve")).toHaveLength(1)
      // The same token for another action or approval fails the MAC: the store entry decides nothing alone.
      expect(yield* pressButton(admin, { action: "approval.approve", approvalId: "apr_1a2b3c4d5e6f", token: reject!.data }))
        .toMatchObject({ _tag: "Rejected", reason: "cb_reject_signature" })
      expect(yield* pressButton(admin, { action: "approval.reject", approvalId: "apr --approval", token: reject!.data }))
        .toMatchObject({ _tag: "Rejected", text: PressTexts.invalid })
      expect(h.backend.callsTo("reject")).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("both minting forms share one loop: an approval id a press would refuse gets no button, nothing is stored", () => {
    const puts: Array<string> = []
    const recording = Layer.succeed(ButtonStore, ButtonStore.of({
      put: (requestId) => Effect.sync(() => void puts.push(requestId)),
      get: () => Effect.succeed(Option.none())
    }))
    const { layer } = setup(recording)
    const unsafe: Reply = {
      text: "Pending approvals",
      buttons: [
        { ...approvals.buttons[0]!, approvalId: "../admin" },
        { ...approvals.buttons[1]!, approvalId: "apr_1a2b3c4d5e6f" }
      ]
    }
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const stored = yield* mintStoredButtons(unsafe, { channelId: admin.channelId })
      const whole = yield* mintButtons(unsafe, { channelId: admin.channelId })
      expect(stored.map((b) => b.style)).toEqual(["danger"])
      expect(whole.map((b) => b.style)).toEqual(["danger"])
      expect(puts).toHaveLength(1)
      expect(stored[0]!.data.split(".")[1]).toBe(puts[0])
      expect(whole[0]!.data.startsWith("oc1|r|apr_1a2b3c4d5e6f|c1.")).toBe(true)
    }).pipe(Effect.provide(layer))
  })

  it.effect.prop(
    "property: junk or any single-character change to a minted button never reaches the backend",
    [fc.string({ maxLength: 80 }), fc.nat(), fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))],
    ([junk, at, char]) => {
      const { h, layer } = setup()
      return Effect.gen(function*() {
        yield* TestClock.setTime(NOW_MILLIS)
        const [approve] = yield* mint()
        const data = approve!.data
        const i = at % data.length
        const changed = data.slice(0, i) + (data[i] === char ? (char === "x" ? "y" : "x") : char) + data.slice(i + 1)
        for (const candidate of [junk, changed]) {
          const outcome = yield* Effect.either(handleStoredPress(admin, candidate))
          expect(outcome._tag === "Right" && outcome.right._tag).not.toBe("Replied")
        }
        expect(h.backend.calls).toHaveLength(0)
      }).pipe(Effect.provide(layer))
    },
    { fastCheck: { numRuns: 150 } }
  )
})
