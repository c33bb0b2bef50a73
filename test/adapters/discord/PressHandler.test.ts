import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { UNAVAILABLE_TEXT } from "../../../src/adapters/discord/MessageHandler.js"
import { handlePressInteraction } from "../../../src/adapters/discord/PressHandler.js"
import { PressTexts } from "../../../src/domain/callbacks/Press.js"
import { mintStoredButtons } from "../../../src/domain/callbacks/StoredPress.js"
import type { Reply } from "../../../src/domain/model/Reply.js"
import { ADMIN_ID, aPress, CHANNEL, DM_CHANNEL, GUILD, harness, NO_DELAY_RETRY, pressResponder, recordingSinks, THREAD, USER } from "./support.js"

const APPROVAL = "apr_0123456789ab"
const approvals: Reply = {
  text: "Pending Approvals (1)",
  buttons: [
    { label: `Approve ${APPROVAL}`, command: `/approve ${APPROVAL}`, actionType: "approval.approve", approvalId: APPROVAL, style: "primary" },
    { label: `Reject ${APPROVAL}`, command: `/reject ${APPROVAL}`, actionType: "approval.reject", approvalId: APPROVAL, style: "danger" }
  ]
}

const setup = (failClaimsFrom?: number) => {
  const h = harness({ adminUsers: [ADMIN_ID] }, failClaimsFrom !== undefined ? { failClaimsFrom } : {})
  h.backend.set("approve", { approved: true, executed: true, prompt_id: "p-1" })
  h.backend.set("reject", { rejected: true })
  return h
}

/** The approve button's custom_id, minted for `channelId`. */
const approveButton = (channelId = DM_CHANNEL) =>
  Effect.map(mintStoredButtons(approvals, { channelId }), (minted) => minted[0]!.data)

describe("handlePressInteraction", () => {
  it.live("an admin's approve press: acknowledged first, approved once, answered publicly; a repeat does nothing", () => {
    const h = setup()
    return Effect.gen(function*() {
      const sinks = recordingSinks()
      const { responder, acks } = pressResponder(sinks)
      const data = yield* approveButton()
      yield* handlePressInteraction(aPress(data), responder, NO_DELAY_RETRY)
      expect(acks).toEqual(["deferUpdate"])
      expect(h.backend.callsTo("approve")).toHaveLength(1)
      expect(sinks.posted.map((p) => p.target)).toEqual(["public"])
      expect(sinks.posted[0]!.message.content).toMatch(new RegExp(`^\\[Approved\\] ${APPROVAL}`))
      expect(sinks.posted[0]!.message.allowed_mentions).toEqual({ parse: [] })

      yield* handlePressInteraction(aPress(data, { interactionId: "600000000000000002" }), responder, NO_DELAY_RETRY)
      expect(acks).toHaveLength(2)
      expect(h.backend.callsTo("approve")).toHaveLength(1)
      expect(sinks.posted).toHaveLength(1)
    }).pipe(Effect.provide(h.layer))
  })

  it.live("an untrusted user's approve press is refused, ephemerally, and approves nothing", () => {
    const h = setup()
    return Effect.gen(function*() {
      const sinks = recordingSinks()
      const { responder, acks } = pressResponder(sinks)
      const data = yield* approveButton()
      yield* handlePressInteraction(aPress(data, { userId: USER }), responder, NO_DELAY_RETRY)
      expect(acks).toHaveLength(1)
      expect(h.backend.callsTo("approve")).toHaveLength(0)
      expect(sinks.posted.map((p) => [p.target, p.message.content])).toEqual([["ephemeral", PressTexts.adminOnly]])
      // The refusal did not use the button up: the admin can still press it.
      yield* handlePressInteraction(aPress(data), responder, NO_DELAY_RETRY)
      expect(h.backend.callsTo("approve")).toHaveLength(1)
    }).pipe(Effect.provide(h.layer))
  })

  it.live("a stored button with a forged MAC is refused as invalid, ephemerally, and runs nothing", () => {
    const h = setup()
    return Effect.gen(function*() {
      const sinks = recordingSinks()
      const { responder, acks } = pressResponder(sinks)
      const data = yield* approveButton()
      // Same request id (the stored button is found), another MAC: only the signature is wrong.
      const forged = data.slice(0, -1) + (data.endsWith("a") ? "b" : "a")
      yield* handlePressInteraction(aPress(forged), responder, NO_DELAY_RETRY)
      expect(acks).toHaveLength(1)
      expect(sinks.posted.map((p) => [p.target, p.message.content])).toEqual([["ephemeral", PressTexts.invalid]])
      expect(h.backend.calls).toEqual([])
      // The forgery did not use the button up: the real one still works.
      yield* handlePressInteraction(aPress(data), responder, NO_DELAY_RETRY)
      expect(h.backend.callsTo("approve")).toHaveLength(1)
    }).pipe(Effect.provide(h.layer))
  })

  it.live("a malformed token (c1.not-a-token) is refused as invalid; a foreign component is acknowledged and ignored", () => {
    const h = setup()
    return Effect.gen(function*() {
      const sinks = recordingSinks()
      const { responder, acks } = pressResponder(sinks)
      yield* handlePressInteraction(aPress("c1.not-a-token"), responder, NO_DELAY_RETRY)
      expect(sinks.posted.map((p) => [p.target, p.message.content])).toEqual([["ephemeral", PressTexts.invalid]])
      yield* handlePressInteraction(aPress("some_other_bot:approve"), responder, NO_DELAY_RETRY)
      expect(acks).toHaveLength(2)
      expect(sinks.posted).toHaveLength(1)
      expect(h.backend.calls).toEqual([])
    }).pipe(Effect.provide(h.layer))
  })

  it.live("a button minted for one channel is refused in another; in a thread it belongs to the parent channel", () => {
    const h = setup()
    return Effect.gen(function*() {
      const sinks = recordingSinks()
      const { responder } = pressResponder(sinks)
      const data = yield* approveButton(CHANNEL)
      yield* handlePressInteraction(aPress(data, { channelId: DM_CHANNEL }), responder, NO_DELAY_RETRY)
      expect(sinks.posted.map((p) => p.target)).toEqual(["ephemeral"])
      expect(h.backend.callsTo("approve")).toHaveLength(0)
      yield* handlePressInteraction(
        aPress(data, { channelId: THREAD, parentChannelId: CHANNEL, guildId: GUILD }),
        responder,
        NO_DELAY_RETRY
      )
      expect(h.backend.callsTo("approve")).toHaveLength(1)
    }).pipe(Effect.provide(h.layer))
  })

  it.live("a press that cannot be acknowledged is not run", () => {
    const h = setup()
    return Effect.gen(function*() {
      const sinks = recordingSinks()
      const { responder } = pressResponder(sinks, { ackFails: true })
      yield* handlePressInteraction(aPress(yield* approveButton()), responder, NO_DELAY_RETRY)
      expect(h.backend.calls).toEqual([])
      expect(sinks.attempts).toEqual([])
    }).pipe(Effect.provide(h.layer))
  })

  it.live("a store that cannot claim the press runs nothing and tells the presser", () => {
    const h = setup(1)
    return Effect.gen(function*() {
      const sinks = recordingSinks()
      const { responder } = pressResponder(sinks)
      yield* handlePressInteraction(aPress(yield* approveButton()), responder, NO_DELAY_RETRY)
      expect(h.backend.calls).toEqual([])
      expect(sinks.posted.map((p) => [p.target, p.message.content])).toEqual([["ephemeral", UNAVAILABLE_TEXT]])
    }).pipe(Effect.provide(h.layer))
  })
})
