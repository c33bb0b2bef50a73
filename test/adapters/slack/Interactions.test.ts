import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { PressTexts } from "../../../src/domain/callbacks/Press.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { buttonsOf, type SlackApiCall } from "../../e2e/support/SlackApiFake.js"
import { blockActions, eventCallback, slackEvent } from "../../e2e/support/SlackClient.js"
import { BOT_A, eventually, serveSlack, type Served, TEAM_A, TOKEN_A } from "./harness.js"

/** Block Kit approval buttons and their presses on the interactions endpoint. */
const APPROVAL = "apr_000000000001"
const ADMIN = "U0ADMIN01"
const STRANGER = "U0STRANGE"
const CHANNEL = "C0CHAN001"

const approvalsBackend = () =>
  makeBackendStub({
    pendingApprovals: {
      approvals: [{ approval_id: APPROVAL, status: "pending", template_id: "portrait", requested_by: "U5", source: "slack" }],
      count: 1,
      pending_count: 1
    },
    approve: { approved: true, executed: true, prompt_id: "p-1", approval: { template_id: "portrait" } },
    reject: { rejected: true }
  })

const serve = (options: Parameters<typeof serveSlack>[0] = {}) =>
  serveSlack({ backend: approvalsBackend(), settings: { adminUsers: [ADMIN] }, ...options })

const calls = (served: Served, method: string) => served.api.callsTo(method)
const waitFor = (served: Served, method: string, n: number) =>
  Effect.map(
    Effect.promise(() => served.api.waitFor((c) => c.filter((x) => x.method === method).length >= n)),
    (all) => all.filter((x) => x.method === method)
  )

/** The admin lists approvals in the channel; the card message and its buttons. */
const listApprovals = (served: Served) =>
  Effect.gen(function*() {
    const ts = "1700000500.000100"
    const before = calls(served, "chat.postMessage").length
    yield* served.postEvent(eventCallback(TEAM_A, slackEvent({ team: TEAM_A, channel: CHANNEL, channelType: "channel", user: ADMIN, text: `<@${BOT_A}> /approvals`, ts })))
    const posts = yield* waitFor(served, "chat.postMessage", before + 1)
    const card = posts[before]!
    return { card, buttons: buttonsOf(card), threadTs: ts }
  })

const press = (served: Served, value: string, over: Partial<Parameters<typeof blockActions>[0]> = {}) =>
  served.postInteraction(blockActions({ team: TEAM_A, user: ADMIN, channel: CHANNEL, value, messageTs: "1700000600.000100", threadTs: "1700000500.000100", ...over }))

const textOf = (call: SlackApiCall | undefined) => String(call?.body?.text ?? "")

describe("Slack approval cards", () => {
  it.scopedLive("/approvals is a Block Kit card in the thread; its buttons carry signed data, not commands", () =>
    Effect.gen(function*() {
      const served = yield* serve()
      const { card, buttons, threadTs } = yield* listApprovals(served)
      expect(card.token).toBe(TOKEN_A)
      expect(card.body.thread_ts).toBe(threadTs)
      expect(card.body.blocks[0].type).toBe("section")
      expect(buttons.map((b) => [b.action_id, b.text.text, b.style])).toEqual([
        ["openclaw.0", "Approve apr_0000", "primary"],
        ["openclaw.1", "Reject apr_0000", "danger"]
      ])
      expect(buttons[0].value).toMatch(new RegExp(`^oc1\\|a\\|${APPROVAL}\\|c1\\.`))
      expect(buttons.every((b) => !b.value.includes("/approve"))).toBe(true)
    }))
})

describe("Slack button presses", () => {
  it.scopedLive("an admin's press is acknowledged at once and approves once, answered in the thread; a repeat does nothing", () =>
    Effect.gen(function*() {
      const served = yield* serve()
      const { buttons } = yield* listApprovals(served)
      const res = yield* press(served, buttons[0].value)
      expect(res).toMatchObject({ status: 200, text: "" })
      const posts = yield* waitFor(served, "chat.postMessage", 2)
      expect(posts[1]!.token).toBe(TOKEN_A)
      expect(posts[1]!.body).toMatchObject({ channel: CHANNEL, thread_ts: "1700000500.000100" })
      expect(textOf(posts[1])).toBe(`[Approved] ${APPROVAL}\nExecuted: p-1`)
      expect(served.backend.callsTo("approve")).toEqual([[APPROVAL, true]])

      expect((yield* press(served, buttons[0].value)).status).toBe(200)
      yield* eventually(() => served.logs.some((l) => l.includes("already handled")))
      expect(served.backend.callsTo("approve")).toHaveLength(1)
      expect(calls(served, "chat.postMessage")).toHaveLength(2)
    }))

  it.scopedLive("a stranger's press is refused, privately, and approves nothing", () =>
    Effect.gen(function*() {
      const served = yield* serve()
      const { buttons } = yield* listApprovals(served)
      yield* press(served, buttons[0].value, { user: STRANGER })
      const [ephemeral] = yield* waitFor(served, "chat.postEphemeral", 1)
      expect(ephemeral!.body).toMatchObject({ channel: CHANNEL, user: STRANGER, text: PressTexts.adminOnly.replace(/&/g, "&amp;") })
      expect(served.backend.callsTo("approve")).toEqual([])
    }))

  it.scopedLive("forged data, another action or another channel is refused without running anything", () =>
    Effect.gen(function*() {
      const served = yield* serve()
      const { buttons } = yield* listApprovals(served)
      const data: string = buttons[0].value
      yield* press(served, data.slice(0, -1) + (data.endsWith("a") ? "b" : "a"))
      yield* press(served, data.replace("oc1|a|", "oc1|r|"))
      yield* press(served, data, { channel: "C0OTHER01" })
      const refusals = yield* waitFor(served, "chat.postEphemeral", 3)
      expect(refusals.map(textOf)).toEqual([PressTexts.invalid, PressTexts.invalid, PressTexts.invalid])
      expect(served.backend.callsTo("approve")).toEqual([])
      expect(served.backend.callsTo("reject")).toEqual([])
    }))

  it.scopedLive("unsigned, undecodable and foreign interactions: 401, 400, or acknowledged and ignored", () =>
    Effect.gen(function*() {
      const served = yield* serve()
      const payload = blockActions({ team: TEAM_A, user: ADMIN, channel: CHANNEL, value: "oc1|a|apr_1|c1.x" })
      expect((yield* served.postInteraction(payload, { signature: "v0=deadbeef" })).status).toBe(401)
      const url = `${served.url}/slack/interactions`
      const { postSlack } = yield* Effect.promise(() => import("../../e2e/support/SlackClient.js"))
      const { SIGNING_SECRET } = yield* Effect.promise(() => import("./harness.js"))
      expect(yield* Effect.promise(() => postSlack(url, SIGNING_SECRET, "nothing=here"))).toMatchObject({ status: 400, text: "Missing payload" })
      expect(yield* Effect.promise(() => postSlack(url, SIGNING_SECRET, "payload=%7Bbad"))).toMatchObject({ status: 400, text: "Bad payload" })
      expect(yield* Effect.promise(() => postSlack(url, SIGNING_SECRET, "payload=%5B1%5D"))).toMatchObject({ status: 400, text: "Bad payload" })
      expect((yield* served.postInteraction({ type: "view_submission", team: { id: TEAM_A }, user: { id: ADMIN } })).status).toBe(200)
      expect((yield* served.postInteraction(blockActions({ team: TEAM_A, user: ADMIN, channel: CHANNEL, value: "/approve apr_1" }))).status).toBe(200)
      expect(served.api.calls).toEqual([])
      expect(served.backend.calls).toEqual([])
    }))

  it.scopedLive("a press from a workspace without a usable installation runs nothing", () =>
    Effect.gen(function*() {
      const served = yield* serve()
      const { buttons } = yield* listApprovals(served)
      served.registry.state.records.delete(`slack:${TEAM_A}`)
      yield* press(served, buttons[0].value)
      yield* eventually(() => served.logs.some((l) => l.includes(`workspace ${TEAM_A} not handled`)))
      expect(served.backend.callsTo("approve")).toEqual([])
      expect(calls(served, "chat.postEphemeral")).toEqual([])
      // A registry that cannot answer: 503, so Slack shows the presser an error; nothing ran.
      served.registry.down = true
      expect((yield* press(served, buttons[0].value)).status).toBe(503)
      expect(served.backend.callsTo("approve")).toEqual([])
    }))

  it.scopedLive("a replay store that cannot admit the press: nothing runs and the presser is told to try again", () =>
    Effect.gen(function*() {
      const served = yield* serve()
      const { buttons } = yield* listApprovals(served)
      const failing = yield* serve({ failClaimsFrom: 1 })
      yield* press(failing, buttons[0].value)
      const [ephemeral] = yield* waitFor(failing, "chat.postEphemeral", 1)
      expect(textOf(ephemeral)).toBe("[Error] Service temporarily unavailable. Please try again.")
      expect(failing.backend.callsTo("approve")).toEqual([])
    }))
})
