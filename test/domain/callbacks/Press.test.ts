import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import { decodeButtonData, encodeButtonData, isButtonData } from "../../../src/domain/callbacks/ButtonData.js"
import { BUTTON_LIFETIME_SECONDS, handlePress, mintButtons, PressTexts } from "../../../src/domain/callbacks/Press.js"
import type { Reply } from "../../../src/domain/model/Reply.js"
import { ADMIN_ID, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"
import { NOW_MILLIS, signerLayer } from "./support/fixtures.js"
import { ReplayStoreBroken, ReplayStoreMemory } from "./support/ReplayStoreMemory.js"

const approvals: Reply = {
  text: "Pending approvals",
  buttons: [
    { label: "Approve apr-1", command: "/approve apr-1", actionType: "approval.approve", approvalId: "apr-1", style: "primary" },
    { label: "Reject apr-1", command: "/reject apr-1", actionType: "approval.reject", approvalId: "apr-1", style: "danger" }
  ]
}

const admin = saying("", { platform: "line", senderId: ADMIN_ID, channelId: "Cgroup1" })
const stranger = saying("", { platform: "line", senderId: "U-stranger", channelId: "Cgroup1" })

/** A fresh harness with the signer and a fresh replay store; the clock set to NOW. */
const setup = () => {
  const h = harness()
  h.backend.set("approve", { approved: true, executed: true, prompt_id: "p-1" })
  h.backend.set("reject", { rejected: true })
  const layer = Layer.mergeAll(h.layer, signerLayer, ReplayStoreMemory)
  return { h, layer }
}

const mint = (channelId = "Cgroup1") => mintButtons(approvals, { channelId })

describe("button data", () => {
  it("round-trips and refuses anything off the grammar", () => {
    const data = encodeButtonData({ action: "approval.reject", approvalId: "apr-1", token: "c1.abcdefgh12345678.1700000000.0123456789abcdef0123456789abcdef" })
    expect(isButtonData(data)).toBe(true)
    expect(Option.getOrThrow(decodeButtonData(data))).toMatchObject({ action: "approval.reject", approvalId: "apr-1" })
    for (const bad of ["", "oc1|x|apr-1|c1.a", "/approve apr-1", `${data}|extra`, "oc1|a|../x|c1.abc", "oc1|a|apr 1|c1.abc"]) {
      expect(Option.isNone(decodeButtonData(bad))).toBe(true)
    }
  })
})

describe("mintButtons + handlePress", () => {
  it.effect("an admin's press of a minted Approve button runs /approve once; the second press is a duplicate", () => {
    const { h, layer } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const buttons = yield* mint()
      expect(buttons.map((b) => [b.label, b.style])).toEqual([["Approve apr-1", "primary"], ["Reject apr-1", "danger"]])
      expect(buttons.every((b) => b.data.length <= 256 && isButtonData(b.data))).toBe(true)
      const first = yield* handlePress(admin, buttons[0]!.data)
      expect(first._tag).toBe("Replied")
      expect(first._tag === "Replied" && first.reply.text).toBe("[Approved] apr-1\nExecuted: p-1")
      expect(h.backend.callsTo("approve")).toEqual([["apr-1", true]])
      expect(yield* handlePress(admin, buttons[0]!.data)).toEqual({ _tag: "Duplicate" })
      expect(h.backend.callsTo("approve")).toHaveLength(1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a non-admin's press is refused and does not burn the button for an admin", () => {
    const { h, layer } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const [approve] = yield* mint()
      expect(yield* handlePress(stranger, approve!.data)).toMatchObject({ _tag: "Rejected", reason: "cb_reject_policy_denied", text: PressTexts.adminOnly })
      expect(h.backend.calls).toHaveLength(0)
      expect((yield* handlePress(admin, approve!.data))._tag).toBe("Replied")
    }).pipe(Effect.provide(layer))
  })

  it.effect("a button pressed in another chat, a tampered action or id, and an expired button are refused", () => {
    const { h, layer } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      const [approve] = yield* mint()
      const data = approve!.data
      expect((yield* handlePress({ ...admin, channelId: "Cother" }, data))).toMatchObject({ _tag: "Rejected", reason: "cb_reject_signature" })
      expect((yield* handlePress(admin, data.replace("oc1|a|", "oc1|r|")))).toMatchObject({ _tag: "Rejected", reason: "cb_reject_signature" })
      expect((yield* handlePress(admin, data.replace("|apr-1|", "|apr-2|")))).toMatchObject({ _tag: "Rejected" })
      yield* TestClock.adjust(`${BUTTON_LIFETIME_SECONDS + 1} seconds`)
      expect((yield* handlePress(admin, data))).toMatchObject({ _tag: "Rejected", reason: "cb_reject_timestamp", text: PressTexts.expired })
      expect(h.backend.calls).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("no buttons for a chat id that cannot be bound; a broken store refuses the press", () => {
    const { h } = setup()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW_MILLIS)
      expect(yield* mint("has:colon")).toEqual([])
      const [approve] = yield* mint()
      const refused = yield* Effect.flip(handlePress(admin, approve!.data).pipe(Effect.provide(ReplayStoreBroken)))
      expect(refused._tag).toBe("IngressRefused")
      expect(h.backend.calls).toHaveLength(0)
    }).pipe(Effect.provide(Layer.mergeAll(h.layer, signerLayer)))
  })
})
