import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { isButtonData } from "../../../src/domain/callbacks/ButtonData.js"
import { PressTexts } from "../../../src/domain/callbacks/Press.js"
import { replayTtlMillisFor } from "../../../src/domain/ingress/Freshness.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { buttonReply, notification, nowSeconds, textMessage } from "../../e2e/support/WhatsAppClient.js"
import { ADMIN, PHONE_NUMBER_ID, setup } from "./harness.js"

const USER = "123456789"
const ago = (seconds: number) => String(Math.floor(Date.now() / 1000) - seconds)
const text = (id: string, body: string, from = USER, timestamp = nowSeconds()) => textMessage({ from, id, text: body, timestamp })
const PENDING = {
  approvals: ["apr_000000000001", "apr_000000000002", "apr_000000000003"].map((approval_id) => ({
    approval_id,
    status: "pending",
    template_id: "portrait"
  })),
  pending_count: 3
}

describe("WhatsApp POST: a text message", () => {
  it.scopedLive("is acknowledged 200 OK, run once, and answered through the Graph API", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const res = yield* h.deliver(notification([text("wamid.1", "/help")]))
      expect([res.status, res.text, res.headers["content-type"]]).toEqual([200, "OK", "text/plain; charset=utf-8"])
      expect(h.probe.claims).toEqual([{ key: "whatsapp:wamid.1", outcome: "claimed", ttlMillis: replayTtlMillisFor() }])
      expect(h.probe.commits).toEqual(["whatsapp:wamid.1"])
      expect(h.graph.calls).toHaveLength(1)
      const [call] = h.graph.calls
      expect(call!.method).toBe("POST")
      expect(call!.path).toBe(`/v19.0/${PHONE_NUMBER_ID}/messages`)
      expect(call!.headers["authorization"]).toBe("Bearer dummy_access")
      expect(call!.headers["content-type"]).toBe("application/json; charset=utf-8")
      expect(call!.body).toMatchObject({ messaging_product: "whatsapp", recipient_type: "individual", to: USER, type: "text" })
      expect(call!.body.text).toEqual({ preview_url: false, body: Texts.help })
    }))

  it.scopedLive("the graph version comes from the configuration (W3)", () =>
    Effect.gen(function*() {
      const h = yield* setup({ route: { graphVersion: "v21.0" } })
      yield* h.deliver(notification([text("wamid.v", "/help")]))
      expect(h.graph.calls.map((c) => c.path)).toEqual([`/v21.0/${PHONE_NUMBER_ID}/messages`])
    }))

  it.scopedLive("a long reply is chunked to 4096 characters, one call per chunk, in order", () =>
    Effect.gen(function*() {
      const h = yield* setup({ settings: { maxCommandLength: 20_000 } })
      const word = "x".repeat(9_000)
      yield* h.deliver(notification([text("wamid.long", word)]))
      const bodies = h.graph.textsTo(USER)
      // The cut prefers the last space before the limit, so the first body ends after "command: ".
      expect(bodies.map((b) => b.length)).toEqual([17, 4096, 4096, Texts.unknown(word).length - 17 - 8192])
      expect(bodies.join("")).toBe(Texts.unknown(word))
      expect(h.graph.calls.map((c) => c.body.type)).toEqual(["text", "text", "text", "text"])
    }))

  it.scopedLive("untrusted senders are logged at debug level and still routed", () =>
    Effect.gen(function*() {
      const h = yield* setup({ route: { allowedUsers: ["555"] } })
      yield* h.deliver(notification([text("wamid.u", "/help", "777")]))
      expect(h.logs).toContain("Untrusted WhatsApp message from user=777 (Not in allowlist; approval required)")
      expect(h.graph.textsTo("777")).toEqual([Texts.help])
    }))
})

describe("WhatsApp POST: refused or ignored deliveries", () => {
  it.scopedLive("bad bytes, non-objects, bad JSON and bad timestamps get 400 and nothing is claimed", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const cases: ReadonlyArray<readonly [string | Uint8Array, string]> = [
        [Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), "Bad JSON"],
        ["[]", "Bad JSON"],
        ["{bad json", "Bad JSON"],
        [JSON.stringify(notification([text("wamid.ok", "/help"), { ...text("wamid.bad", "/help"), timestamp: "soon" }])), "Bad Request"],
        [JSON.stringify(notification([{ ...text("wamid.none", "/help"), timestamp: undefined }])), "Bad Request"],
        [JSON.stringify({ object: "whatsapp_business_account", entry: [{ changes: "x" }] }), "Bad Request"]
      ]
      for (const [body, reason] of cases) {
        const res = yield* h.deliver(body)
        expect([res.status, res.text]).toEqual([400, reason])
      }
      expect(h.probe.claims).toEqual([])
      expect(h.graph.calls).toEqual([])
      expect(h.backend.calls).toEqual([])
    }))

  it.scopedLive("statuses, other objects and other message types are acknowledged and ignored", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const statuses = notification([], { statuses: [{ id: "wamid.s", status: "delivered", timestamp: nowSeconds(), recipient_id: USER }] })
      const image = notification([{ from: USER, id: "wamid.img", timestamp: nowSeconds(), type: "image", image: { id: "m" } }])
      const foreign = notification([buttonReply({ from: USER, id: "wamid.fb", buttonId: "somebody-elses-button" })])
      for (const payload of [statuses, image, foreign, { object: "page", entry: [] }]) {
        const res = yield* h.deliver(payload)
        expect([res.status, res.text]).toEqual([200, "OK"])
      }
      expect(h.probe.claims).toEqual([])
      expect(h.graph.calls).toEqual([])
    }))

  it.scopedLive("messages with an empty id are skipped, each time (never deduplicated under one key: W4)", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const res = yield* h.deliver(notification([text("", "/help"), text("", "/status", "999")]))
      expect([res.status, res.text]).toEqual([200, "OK"])
      expect(h.probe.claims).toEqual([])
      expect(h.graph.calls).toEqual([])
      expect(h.logs.filter((l) => l.includes("no message id, cannot be deduplicated"))).toHaveLength(2)
    }))

  it.scopedLive("freshness is per message: the stale and future ones are skipped, the fresh one runs", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const res = yield* h.deliver(notification([
        text("wamid.old", "/help", "1", ago(400)),
        text("wamid.new", "/help", "2"),
        text("wamid.later", "/help", "3", ago(-120))
      ]))
      expect([res.status, res.text]).toEqual([200, "OK"])
      expect(h.probe.claims.map((c) => c.key)).toEqual(["whatsapp:wamid.new"])
      expect(h.graph.calls.map((c) => c.body.to)).toEqual(["2"])
      expect(h.logs.some((l) => l.includes("Replay rejected (stale timestamp)"))).toBe(true)
      expect(h.logs.some((l) => l.includes("Replay rejected (future timestamp)"))).toBe(true)
    }))

  it.scopedLive("a redelivery (whole or inside another delivery) is acknowledged and not run again", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      const first = notification([text("wamid.d1", "/status")])
      h.backend.set("health", { ok: true })
      h.backend.set("promptQueue", { queue_running: [], queue_pending: [] })
      yield* h.deliver(first)
      const backendCalls = h.backend.calls.length
      expect(backendCalls).toBeGreaterThan(0)
      expect((yield* h.deliver(first)).status).toBe(200)
      const mixed = yield* h.deliver(notification([text("wamid.d1", "/status"), text("wamid.d2", "/help")]))
      expect(mixed.status).toBe(200)
      expect(h.backend.calls).toHaveLength(backendCalls)
      expect(h.probe.claims.map((c) => [c.key, c.outcome])).toEqual([
        ["whatsapp:wamid.d1", "claimed"],
        ["whatsapp:wamid.d1", "duplicate_after_success"],
        ["whatsapp:wamid.d1", "duplicate_after_success"],
        ["whatsapp:wamid.d2", "claimed"]
      ])
      expect(h.graph.calls).toHaveLength(2)
    }))

  it.scopedLive("a replay store that cannot claim gets 503: nothing runs, earlier claims are released", () =>
    Effect.gen(function*() {
      const h = yield* setup({ failClaimNumber: 2 })
      const payload = notification([text("wamid.r1", "/help"), text("wamid.r2", "/help")])
      const res = yield* h.deliver(payload)
      expect([res.status, res.text]).toEqual([503, "Service Unavailable"])
      expect(h.probe.releases).toEqual(["whatsapp:wamid.r1"])
      expect(h.graph.calls).toEqual([])
      // Meta's redelivery is then processed normally.
      const retry = yield* h.deliver(payload)
      expect(retry.status).toBe(200)
      expect(h.probe.claims.slice(-2).map((c) => c.outcome)).toEqual(["retry_claimed", "claimed"])
      expect(h.graph.calls).toHaveLength(2)
    }))
})

describe("WhatsApp outbound", () => {
  it.scopedLive("without a phone number id nothing is sent and one clear warning is logged", () =>
    Effect.gen(function*() {
      const h = yield* setup({ route: { phoneNumberId: Option.none() } })
      yield* h.deliver(notification([text("wamid.p1", "/help")]))
      yield* h.deliver(notification([text("wamid.p2", "/help")]))
      expect(h.graph.calls).toEqual([])
      expect(h.probe.commits).toHaveLength(2)
      expect(h.logs.filter((l) => l.includes("OPENCLAW_CONNECTOR_WHATSAPP_PHONE_NUMBER_ID is not set"))).toHaveLength(1)
    }))

  it.scopedLive("a Graph 401 is recorded as invalid_token; tokens and URLs stay out of the logs", () =>
    Effect.gen(function*() {
      const h = yield* setup()
      h.graph.answerNext({ status: 401, json: { error: { message: "Invalid OAuth access token." } } })
      yield* h.deliver(notification([text("wamid.t1", "/help")]))
      expect(yield* h.health).toMatchObject([{ platform: "whatsapp", state: "invalid_token" }])
      expect(h.logs.some((l) => l.includes("WhatsApp send failed auth-invalid 401"))).toBe(true)
      expect(h.logs.join("\n")).not.toContain("dummy_access")
      expect(h.logs.join("\n")).not.toContain(h.graph.url)
      yield* h.deliver(notification([text("wamid.t2", "/help")]))
      expect(yield* h.health).toMatchObject([{ platform: "whatsapp", state: "ok" }])
    }))

  it.scopedLive("a defect while processing gets the user [Internal Error]", () =>
    Effect.gen(function*() {
      const h = yield* setup({ dieOnCommit: true })
      const res = yield* h.deliver(notification([text("wamid.x", "/help")]))
      expect(res.status).toBe(200)
      expect(h.graph.textsTo(USER)).toEqual([Texts.internalError])
      expect(Texts.internalError.startsWith("[Internal Error]")).toBe(true)
    }))
})

describe("WhatsApp approvals as reply buttons", () => {
  const adminSetup = Effect.gen(function*() {
    const h = yield* setup()
    h.backend.set("pendingApprovals", PENDING)
    h.backend.set("approve", { approved: true, executed: true, prompt_id: "p-1" })
    yield* h.deliver(notification([text("wamid.list", "/approvals", ADMIN)]))
    const sent = h.graph.messagesTo(ADMIN)
    return { h, sent }
  })

  it.scopedLive("/approvals sends the text first, then one interactive message per approval (<= 3 buttons, titles <= 20)", () =>
    Effect.gen(function*() {
      const { sent } = yield* adminSetup
      expect(sent.map((m) => m.type)).toEqual(["text", "interactive", "interactive", "interactive"])
      expect(sent[0].text.body).toContain("- apr_000000000001 [pending] template=portrait")
      for (const [i, message] of sent.slice(1).entries()) {
        expect(message.interactive.type).toBe("button")
        expect(message.interactive.body.text).toBe(`Approval ${PENDING.approvals[i]!.approval_id}`)
        const buttons = message.interactive.action.buttons
        expect(buttons.length).toBeLessThanOrEqual(3)
        expect(buttons.map((b: any) => b.reply.title)).toEqual(["Approve apr_0000", "Reject apr_0000"])
        for (const b of buttons) {
          expect(b.type).toBe("reply")
          expect(isButtonData(b.reply.id)).toBe(true)
          expect(b.reply.id.length).toBeLessThanOrEqual(256)
          expect(Array.from(b.reply.title as string).length).toBeLessThanOrEqual(20)
        }
      }
    }))

  it.scopedLive("pressing Approve runs the approval once; a second press runs nothing", () =>
    Effect.gen(function*() {
      const { h, sent } = yield* adminSetup
      const approveId = sent[1].interactive.action.buttons[0].reply.id as string
      yield* h.deliver(notification([buttonReply({ from: ADMIN, id: "wamid.press1", buttonId: approveId })]))
      expect(h.backend.callsTo("approve")).toEqual([["apr_000000000001", true]])
      expect(h.graph.textsTo(ADMIN).at(-1)).toBe("[Approved] apr_000000000001\nExecuted: p-1")
      const before = h.graph.calls.length
      yield* h.deliver(notification([buttonReply({ from: ADMIN, id: "wamid.press2", buttonId: approveId })]))
      expect(h.backend.callsTo("approve")).toHaveLength(1)
      expect(h.graph.calls).toHaveLength(before)
      expect(h.probe.commits).toContain("whatsapp:wamid.press2")
    }))

  it.scopedLive("a forged or foreign-chat button is refused with a short text and runs nothing", () =>
    Effect.gen(function*() {
      const { h, sent } = yield* adminSetup
      const approveId = sent[1].interactive.action.buttons[0].reply.id as string
      const forged = approveId.slice(0, -4) + (approveId.endsWith("0000") ? "1111" : "0000")
      yield* h.deliver(notification([buttonReply({ from: ADMIN, id: "wamid.f1", buttonId: forged })]))
      yield* h.deliver(notification([buttonReply({ from: ADMIN, id: "wamid.f2", buttonId: "oc1|a|apr_000000000001|c1.abc.1.00" })]))
      expect(h.graph.textsTo(ADMIN).slice(-2)).toEqual([PressTexts.invalid, PressTexts.invalid])
      // The same button pressed from another chat is bound to the admin's chat: refused.
      yield* h.deliver(notification([buttonReply({ from: "31337", id: "wamid.f3", buttonId: approveId })]))
      expect(h.graph.textsTo("31337")).toHaveLength(1)
      expect(h.backend.callsTo("approve")).toEqual([])
    }))
})
