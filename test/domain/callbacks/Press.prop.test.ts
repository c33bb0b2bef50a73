import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, TestClock } from "effect"
import { handlePress, mintButtons } from "../../../src/domain/callbacks/Press.js"
import type { Reply } from "../../../src/domain/model/Reply.js"
import { ADMIN_ID, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"
import { NOW_MILLIS, signerLayer } from "./support/fixtures.js"
import { ReplayStoreMemory } from "./support/ReplayStoreMemory.js"

const reply: Reply = {
  text: "Pending approvals",
  buttons: [{ label: "Approve apr-1", command: "/approve apr-1", actionType: "approval.approve", approvalId: "apr-1", style: "primary" }]
}

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c))

/** Mint one Approve button for chat C1, then press `press(data)` as `senderId`; report what the backend saw. */
const run = (senderId: string, edit: (data: string) => string) => {
  const h = harness()
  h.backend.set("approve", { approved: true, executed: true, prompt_id: "p-1" })
  return Effect.gen(function*() {
    yield* TestClock.setTime(NOW_MILLIS)
    const [button] = yield* mintButtons(reply, { channelId: "C1" })
    const outcome = yield* handlePress(saying("", { platform: "line", senderId, channelId: "C1" }), edit(button!.data))
    return { outcome, approveCalls: h.backend.callsTo("approve").length, backendCalls: h.backend.calls.length }
  }).pipe(Effect.provide(Layer.mergeAll(h.layer, signerLayer, ReplayStoreMemory)))
}

describe("button presses (properties)", () => {
  it.effect.prop(
    "a press by anyone who is not an admin never reaches the backend",
    [fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== ADMIN_ID)],
    ([senderId]) =>
      Effect.map(run(senderId, (d) => d), (r) => {
        expect(r.outcome._tag).toBe("Rejected")
        expect(r.backendCalls).toBe(0)
      }),
    { fastCheck: { numRuns: 60 } }
  )

  it.effect.prop(
    "any single-character change to a minted button's data is never admitted, even for an admin",
    [fc.nat(), printable],
    ([at, char]) =>
      Effect.map(
        run(ADMIN_ID, (d) => {
          const i = at % d.length
          const c = d[i] === char ? (char === "x" ? "y" : "x") : char
          return d.slice(0, i) + c + d.slice(i + 1)
        }),
        (r) => {
          expect(r.outcome._tag).toBe("Rejected")
          expect(r.approveCalls).toBe(0)
        }
      ),
    { fastCheck: { numRuns: 200 } }
  )
})
