import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Scope } from "effect"
import { startSlackSocketMode } from "../../../src/adapters/slack/SocketMode.js"
import { SOCKET_INSTALLATION } from "../../../src/adapters/slack/SocketModeClient.js"
import { makeBackendStub } from "../../support/BackendStub.js"
import { buttonsOf } from "../../e2e/support/SlackApiFake.js"
import { blockActions, eventCallback, eventId, messageTs, slackEvent } from "../../e2e/support/SlackClient.js"
import { type SlackSocketFake, startSlackSocketFake } from "../../e2e/support/SlackSocketFake.js"
import { BOT_A, eventually, serveSlack, type ServeOptions, TEAM_A, TEAM_B, TOKEN_A, TOKEN_B } from "./harness.js"

/**
 * Socket Mode in process: the real @slack/socket-mode client against the socket fake (and the
 * fake Web API for apps.connections.open and replies), with the events and interactions pipelines
 * over the harness's ports. Shows that envelopes get the HTTP routes' behaviour.
 */
const APP_TOKEN = "xapp-1-A0APP-1234-0123456789abcdef"
const ADMIN = "U0ADMIN01"
const CHANNEL = "C0CHAN001"
const APPROVAL = "apr_000000000001"

const approvalsBackend = () =>
  makeBackendStub({
    health: { ok: true, stats: { logs_processed: 3, errors_captured: 0 } },
    promptQueue: { exec_info: { queue_remaining: 1 } },
    pendingApprovals: {
      approvals: [{ approval_id: APPROVAL, status: "pending", template_id: "portrait", requested_by: "U5", source: "slack" }],
      count: 1,
      pending_count: 1
    },
    approve: { approved: true, executed: true, prompt_id: "p-1", approval: { template_id: "portrait" } }
  })

/** The harness plus a Socket Mode connection in its own scope (closed by `stop`, or at the end). */
const serveSocket = (options: ServeOptions = {}) =>
  Effect.gen(function*() {
    const served = yield* serveSlack({ backend: approvalsBackend(), settings: { adminUsers: [ADMIN] }, ...options })
    const socket = yield* Effect.acquireRelease(Effect.promise(startSlackSocketFake), (s) => Effect.promise(() => s.close()))
    socket.attach(served.api, APP_TOKEN)
    const scope = yield* Effect.acquireRelease(Scope.make(), (s) => Scope.close(s, Exit.void))
    return { ...served, socket, scope }
  })

const connected = (served: { readonly socket: SlackSocketFake }, n = 1) =>
  Effect.promise(() => served.socket.waitFor(() => served.socket.connections() >= n, `${n} connection(s)`))

const eventPayload = (team: string, event: Record<string, unknown>, id = eventId()) => JSON.parse(eventCallback(team, event, id))
const mention = (text: string, over: Partial<Parameters<typeof slackEvent>[0]> = {}) =>
  slackEvent({ team: TEAM_A, channel: CHANNEL, channelType: "channel", user: "U0USER001", text: `<@${BOT_A}> ${text}`, ...over })

const posts = (calls: ReadonlyArray<{ readonly method: string }>) => calls.filter((c) => c.method === "chat.postMessage")

const startSocket = (served: Effect.Effect.Success<ReturnType<typeof serveSocket>>) =>
  Effect.gen(function*() {
    yield* served.run(
      startSlackSocketMode({
        appToken: Redacted.make(APP_TOKEN),
        apiRoot: served.api.apiRoot,
        credentials: served.credentials,
        requireMention: true,
        replyInThread: true,
        clientPingTimeoutMillis: 1_000,
        shutdownGraceMillis: 2_000
      }).pipe(Scope.extend(served.scope))
    )
  })

describe("Slack Socket Mode", () => {
  it.scopedLive("connects with the app token; a mention in a channel is acknowledged and answered with its workspace's token", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      const [open] = served.api.callsTo("apps.connections.open")
      expect(open!.token).toBe(APP_TOKEN)
      const ts = messageTs()
      const envelopeId = served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts })))
      yield* Effect.promise(() => served.socket.waitForAck(envelopeId))
      const calls = yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 1))
      const [reply] = posts(calls) as ReadonlyArray<any>
      expect(reply.token).toBe(TOKEN_A)
      expect(reply.body).toMatchObject({ channel: CHANNEL, thread_ts: ts })
      expect(reply.body.text).toMatch(/^\[Online\] System Status/)
      // Workspace B's event uses B's token.
      served.socket.sendEvent(eventPayload(TEAM_B, slackEvent({ team: TEAM_B, channel: "D0DM00001", channelType: "im", user: "U0USER001", text: "/status" })))
      const more = yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 2))
      expect(posts(more).map((c: any) => c.token)).toEqual([TOKEN_A, TOKEN_B])
      const health = yield* served.health.snapshot
      expect(health.find((h) => h.installation === SOCKET_INSTALLATION)).toMatchObject({ platform: "slack", state: "ok" })
      expect(served.logs.some((l) => l === "Slack Socket Mode connected")).toBe(true)
      const text = served.logs.join("\n")
      for (const secret of [APP_TOKEN, TOKEN_A, "ticket="]) expect(text).not.toContain(secret)
    }))

  it.scopedLive("message + app_mention twins run once; a redelivered envelope (retry_attempt) is acknowledged and runs nothing", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      const ts = messageTs()
      const id = eventId()
      const first = served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts }), id))
      const twin = served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts, type: "app_mention" })))
      yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 1))
      const retry = served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts }), id), { retryAttempt: 1, retryReason: "timeout" })
      for (const envelope of [first, twin, retry]) yield* Effect.promise(() => served.socket.waitForAck(envelope))
      yield* eventually(() => served.logs.some((l) => l.includes(`Slack event ${id} acknowledged without running: retry 1 (timeout)`)))
      yield* eventually(() => served.probe.claims.filter((c) => c.outcome !== "claimed").length >= 2, 5_000, "both duplicates")
      expect(served.backend.callsTo("health")).toHaveLength(1)
      expect(posts(served.api.calls)).toHaveLength(1)
    }))

  it.scopedLive("a replay store that cannot claim leaves the envelope unacknowledged; Slack's redelivery then runs it once", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket({ failClaim: (n) => n === 1 })
      yield* startSocket(served)
      yield* connected(served)
      const ts = messageTs()
      const id = eventId()
      const envelope = served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts }), id))
      yield* eventually(() => served.logs.some((l) => l.includes(`envelope ${envelope} not handled (503`)), 5_000, "the refusal")
      expect(served.socket.acks.map((a) => a.envelopeId)).not.toContain(envelope)
      expect(served.backend.calls).toEqual([])
      // Slack redelivers the unacknowledged envelope (same id, retry_attempt 1).
      served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts }), id), { envelopeId: envelope, retryAttempt: 1, retryReason: "timeout" })
      yield* Effect.promise(() => served.socket.waitForAck(envelope))
      yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 1))
      expect(served.socket.acks.filter((a) => a.envelopeId === envelope)).toHaveLength(1)
      expect(served.backend.callsTo("health")).toHaveLength(1)
    }))

  it.scopedLive("lifecycle events over the socket: tokens_revoked closes that workspace", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      const envelope = served.socket.sendEvent(eventPayload(TEAM_A, { type: "tokens_revoked", tokens: { oauth: [], bot: [BOT_A] } }))
      yield* Effect.promise(() => served.socket.waitForAck(envelope))
      yield* eventually(() => served.registry.healthWrites.length >= 1)
      expect(served.registry.healthWrites).toEqual([{ installationId: `slack:${TEAM_A}`, state: "invalid_token", reason: "slack_tokens_revoked" }])
    }))

  it.scopedLive("an admin's button press (interactive envelope) approves once; a repeat does nothing", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      const listTs = messageTs()
      served.socket.sendEvent(eventPayload(TEAM_A, mention("/approvals", { ts: listTs, user: ADMIN })))
      const calls = yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 1))
      const approve = buttonsOf(posts(calls)[0] as any)[0]
      const pressed = blockActions({ team: TEAM_A, user: ADMIN, channel: CHANNEL, value: approve.value, threadTs: listTs })
      const envelope = served.socket.sendInteractive(pressed)
      yield* Effect.promise(() => served.socket.waitForAck(envelope))
      const after = yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 2))
      const answer = posts(after)[1] as any
      expect(answer.token).toBe(TOKEN_A)
      expect(answer.body).toMatchObject({ channel: CHANNEL, thread_ts: listTs, text: `[Approved] ${APPROVAL}\nExecuted: p-1` })
      expect(served.backend.callsTo("approve")).toEqual([[APPROVAL, true]])
      served.socket.sendInteractive(pressed)
      yield* eventually(() => served.logs.some((l) => l.includes("already handled")))
      expect(served.backend.callsTo("approve")).toHaveLength(1)
    }))

  it.scopedLive("a disconnect envelope and a dropped socket reconnect with a fresh apps.connections.open; events still work", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      served.socket.disconnect()
      yield* connected(served, 2)
      served.socket.drop()
      yield* connected(served, 3)
      expect(served.socket.opens()).toBe(3)
      const ts = messageTs()
      const envelope = served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts })))
      yield* Effect.promise(() => served.socket.waitForAck(envelope))
      yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 1))
      yield* eventually(() => served.logs.some((l) => l.includes("Slack Socket Mode reconnected")))
    }))

  it.scopedLive("an envelope the library cannot read is logged, not a crash; the next one still runs", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      served.socket.send("events_api", null)
      served.socket.send("events_api", { type: "event_callback" })
      yield* eventually(() => served.logs.filter((l) => l.includes("Slack Socket Mode frame not handled (TypeError)")).length === 2)
      const ts = messageTs()
      yield* Effect.promise(() => served.socket.waitForAck(served.socket.sendEvent(eventPayload(TEAM_A, mention("/status", { ts })))))
      yield* Effect.promise(() => served.api.waitFor((c) => posts(c).length >= 1))
      expect(served.socket.connections()).toBe(1)
    }))

  it.scopedLive("a refused app token is recorded (invalid_token) and logged; nothing crashes and nothing runs", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      served.socket.refuse("invalid_auth")
      yield* startSocket(served)
      yield* eventually(() => served.logs.some((l) => l.includes("Slack Socket Mode refused (apps.connections.open: invalid_auth)")))
      const health = yield* served.health.snapshot
      expect(health.find((h) => h.installation === SOCKET_INSTALLATION)).toMatchObject({
        state: "invalid_token",
        detail: "apps.connections.open: invalid_auth"
      })
      expect(served.socket.connections()).toBe(0)
      expect(served.logs.join("\n")).not.toContain(APP_TOKEN)
    }))

  it.scopedLive("a token refused on a reconnect, or after a transient Slack error, is recorded without an unhandled rejection", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      served.socket.refuse("invalid_auth")
      served.socket.drop()
      yield* eventually(() => served.logs.some((l) => l.includes("Slack Socket Mode refused (apps.connections.open: invalid_auth)")))
      // Transient first (the library retries it itself), then refused: caught inside the library's retry.
      const again = yield* serveSocket()
      again.socket.refuse("internal_error")
      yield* startSocket(again)
      yield* Effect.promise(() => again.socket.waitFor(() => again.socket.refusals() >= 1, "a transient refusal"))
      again.socket.refuse("invalid_auth")
      yield* eventually(() => again.logs.some((l) => l.includes("Slack Socket Mode refused (apps.connections.open: invalid_auth)")))
      const health = yield* again.health.snapshot
      expect(health.find((h) => h.installation === SOCKET_INSTALLATION)?.state).toBe("invalid_token")
      expect(served.socket.connections()).toBe(1)
      expect(again.socket.connections()).toBe(0)
    }))

  it.scopedLive("closing the scope disconnects the socket", () =>
    Effect.gen(function*() {
      const served = yield* serveSocket()
      yield* startSocket(served)
      yield* connected(served)
      expect(served.socket.open()).toBe(1)
      yield* Scope.close(served.scope, Exit.void)
      yield* Effect.promise(() => served.socket.waitFor(() => served.socket.open() === 0, "socket closed"))
      expect(served.logs.some((l) => l === "Slack Socket Mode disconnected")).toBe(true)
      expect(served.socket.opens()).toBe(1)
    }))
})
