import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, Option } from "effect"
import { inboundCounter } from "../../../src/domain/model/Metrics.js"
import { eventCallback, eventId, messageTs, type PostOptions, slackEvent, slackSign } from "../../e2e/support/SlackClient.js"
import { BOT_A, BOT_B, eventually, serveSlack, type Served, SIGNING_SECRET, TEAM_A, TEAM_B, TOKEN_A, TOKEN_B } from "./harness.js"

/** The events endpoint in process: authentication, decoding, dedupe, gating and replies. */
const STATUS = "[Online] System Status\n- Logs: 3\n- Errors: 0\n- Queue: 1"
const slackCount = (outcome: string) => Effect.map(Metric.value(inboundCounter("slack", outcome)), (s) => s.count)

/** The only replay key a message takes: team, channel and ts (the same for both twins). */
const messageKey = (team: string, event: Record<string, unknown>) => `slack:msg:${team}:${String(event["channel"])}:${String(event["ts"])}`

/** Posts `event` for `team` under a fresh event id; the message's replay key. */
const send = (served: Served, team: string, event: Record<string, unknown>, options: PostOptions & { readonly id?: string } = {}) =>
  Effect.gen(function*() {
    const id = options.id ?? eventId()
    const res = yield* served.postEvent(eventCallback(team, event, id), options)
    return { res, id, key: messageKey(team, event) }
  })

/** Waits until the message's key was settled (every path after the answer settles it). */
const settled = (served: Served, key: string) =>
  eventually(() => served.probe.commits.includes(key) || served.probe.releases.includes(key), 5_000, `settle ${key}`)

/** Waits until `outcome` was counted `n` more times than `before` (the work behind the 200 ended there). */
const countedUp = (outcome: string, before: number, n = 1) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 5_000
    while ((yield* slackCount(outcome)) - before < n) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`slack ${outcome} not counted ${n} time(s)`))
      yield* Effect.sleep("10 millis")
    }
  })

const posts = (served: Served) => served.api.callsTo("chat.postMessage")
const waitPosts = (served: Served, n: number) =>
  Effect.map(
    Effect.promise(() => served.api.waitFor((c) => c.filter((x) => x.method === "chat.postMessage").length >= n)),
    (calls) => calls.filter((x) => x.method === "chat.postMessage")
  )

const dm = (team: string, text: string, over: Partial<Parameters<typeof slackEvent>[0]> = {}) =>
  slackEvent({ team, channel: "D0DM00001", channelType: "im", user: "U0USER001", text, ...over })
const inChannel = (team: string, text: string, over: Partial<Parameters<typeof slackEvent>[0]> = {}) =>
  slackEvent({ team, channel: "C0CHAN001", channelType: "channel", user: "U0USER001", text, ...over })

describe("Slack events: authentication and decoding", () => {
  it.scopedLive("url_verification echoes the challenge after the signature check", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const body = `{"type":"url_verification","challenge":"abc123xyz"}`
      const res = yield* served.postEvent(body)
      expect(res.status).toBe(200)
      expect(res.contentType).toMatch(/^application\/json/)
      expect(JSON.parse(res.text)).toEqual({ challenge: "abc123xyz" })
      expect((yield* served.postEvent(body, { signature: "v0=deadbeef" })).status).toBe(401)
    }))

  it.scopedLive("bad, missing, stale or other-secret signatures get 401 before decoding; nothing is claimed or sent", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const before = yield* slackCount("unauthenticated")
      const staleBefore = yield* slackCount("stale")
      const body = eventCallback(TEAM_A, dm(TEAM_A, "/status"))
      const old = String(Math.floor(Date.now() / 1000) - 301)
      const cases: ReadonlyArray<PostOptions> = [
        { signature: "" },
        { signature: "v0=invalid" },
        { signature: `v0=${"0".repeat(64)}` },
        { signature: slackSign("another-secret", String(Math.floor(Date.now() / 1000)), body) },
        { timestamp: "" },
        { timestamp: old, signature: slackSign(SIGNING_SECRET, old, body) }
      ]
      for (const c of cases) expect(yield* served.postEvent(body, c)).toMatchObject({ status: 401, text: "Invalid signature" })
      expect((yield* served.postEvent(Buffer.from([0xff, 0xfe]), { signature: "v0=é" })).status).toBe(401)
      expect((yield* slackCount("unauthenticated")) - before).toBe(6)
      expect((yield* slackCount("stale")) - staleBefore).toBe(1)
      expect(served.probe.claims).toEqual([])
      expect(served.api.calls).toEqual([])
    }))

  it.scopedLive("signed bodies that do not decode get 4xx, never 500", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      expect(yield* served.postEvent("{oops")).toMatchObject({ status: 400, text: "Bad JSON" })
      expect((yield* served.postEvent("[1,2]")).status).toBe(400)
      expect((yield* served.postEvent(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]))).status).toBe(400)
      expect((yield* served.postEvent("[".repeat(100_000))).status).toBe(400)
      expect(yield* served.postEvent(JSON.stringify({ type: "event_callback", team_id: TEAM_A, event: dm(TEAM_A, "/status") })))
        .toMatchObject({ status: 400, text: "Missing event_id" })
      expect((yield* served.postEvent(JSON.stringify({ type: "event_callback", event_id: "Ev1", event: "x" }))).status).toBe(400)
      expect(yield* served.postEvent(JSON.stringify({ type: "something_else" }))).toMatchObject({ status: 200, text: "OK" })
      expect(served.probe.claims).toEqual([])
    }))
})

describe("Slack events: replies per workspace", () => {
  it.scopedLive("a DM is answered in its thread with the token of its own workspace", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const ts = messageTs()
      const { res, key } = yield* send(served, TEAM_A, dm(TEAM_A, "/status", { ts }))
      expect(res).toMatchObject({ status: 200, text: "OK" })
      const [call] = yield* waitPosts(served, 1)
      expect(call!.token).toBe(TOKEN_A)
      expect(call!.body).toEqual({ channel: "D0DM00001", text: STATUS, mrkdwn: false, thread_ts: ts })
      // One claim, the message's, taken before the 200 (nothing after it can fail for want of a store).
      expect(key).toBe(`slack:msg:${TEAM_A}:D0DM00001:${ts}`)
      expect(served.probe.claims.map((c) => [c.key, c.ttlMillis, c.outcome])).toEqual([[key, 3_600_000, "claimed"]])
      // Workspace B's command uses B's token, never A's.
      yield* send(served, TEAM_B, dm(TEAM_B, "/status"))
      const calls = yield* waitPosts(served, 2)
      expect(calls.map((c) => c.token)).toEqual([TOKEN_A, TOKEN_B])
      expect(served.logs.join("\n")).not.toContain(TOKEN_A)
    }))

  it.scopedLive("a thread reply is answered in that thread; reply-in-thread off answers a channel message in the channel", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      yield* send(served, TEAM_A, inChannel(TEAM_A, `<@${BOT_A}> /status`, { threadTs: "1690000000.000001" }))
      const [call] = yield* waitPosts(served, 1)
      expect(call!.body.thread_ts).toBe("1690000000.000001")
      const flat = yield* serveSlack({ replyInThread: false })
      yield* send(flat, TEAM_A, inChannel(TEAM_A, `<@${BOT_A}> /status`))
      const [plain] = yield* waitPosts(flat, 1)
      expect(plain!.body).toEqual({ channel: "C0CHAN001", text: STATUS, mrkdwn: false })
    }))

  it.scopedLive("a workspace without a usable installation runs nothing (OAuth on: no legacy fallback)", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack({ legacyToken: "xoxb-legacy-token" })
      const before = yield* slackCount("unbound")
      const { key } = yield* send(served, "T0UNKNOWN", dm("T0UNKNOWN", "/status"))
      yield* settled(served, key)
      expect(served.backend.calls).toEqual([])
      expect(served.api.calls).toEqual([])
      expect((yield* slackCount("unbound")) - before).toBe(1)
      expect(served.logs.some((l) => l.includes("T0UNKNOWN not handled: no usable installation (missing_binding)"))).toBe(true)
    }))
})

describe("Slack events: dedupe", () => {
  it.scopedLive("a mentioned channel message arrives as message and app_mention: it runs once", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const before = yield* slackCount("duplicate")
      const ts = messageTs()
      const text = `<@${BOT_A}> /status`
      const first = yield* send(served, TEAM_A, inChannel(TEAM_A, text, { ts }))
      const second = yield* send(served, TEAM_A, inChannel(TEAM_A, text, { ts, type: "app_mention" }))
      expect([first.res.status, second.res.status]).toEqual([200, 200])
      expect(first.key).toBe(second.key)
      yield* settled(served, first.key)
      yield* waitPosts(served, 1)
      // Both claims were answered before the 200s: the first ran, the twin found it in flight or done.
      expect(served.probe.claims.map((c) => c.key)).toEqual([first.key, first.key])
      expect(served.probe.claims[0]!.outcome).toBe("claimed")
      expect(["duplicate_in_flight", "duplicate_after_success"]).toContain(served.probe.claims[1]!.outcome)
      expect((yield* slackCount("duplicate")) - before).toBe(1)
      expect(served.backend.callsTo("health")).toHaveLength(1)
      expect(posts(served)).toHaveLength(1)
    }))

  it.scopedLive("a retry (X-Slack-Retry-Num) or a redelivery of a known event is acknowledged without running", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const before = yield* slackCount("duplicate")
      const event = dm(TEAM_A, "/status")
      const first = yield* send(served, TEAM_A, event)
      yield* waitPosts(served, 1)
      const retry = yield* send(served, TEAM_A, event, { id: first.id, headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } })
      expect(retry.res).toMatchObject({ status: 200, text: "OK" })
      const again = yield* send(served, TEAM_A, event, { id: first.id })
      expect(again.res.status).toBe(200)
      expect((yield* slackCount("duplicate")) - before).toBe(2)
      expect(served.backend.callsTo("health")).toHaveLength(1)
      expect(posts(served)).toHaveLength(1)
      expect(served.logs.some((l) => l.includes("retry 1 (http_timeout)"))).toBe(true)
    }))

  it.scopedLive("a registry that cannot answer gets 503 with the key released: Slack's retry then runs the message", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      served.registry.down = true
      const event = dm(TEAM_A, "/status")
      const first = yield* send(served, TEAM_A, event)
      expect(first.res.status).toBe(503)
      expect(served.probe.releases).toEqual([first.key])
      expect(first.key).toBe(messageKey(TEAM_A, event))
      served.registry.down = false
      const retry = yield* send(served, TEAM_A, event, { id: first.id, headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_error" } })
      expect(retry.res.status).toBe(200)
      const [call] = yield* waitPosts(served, 1)
      expect(call!.token).toBe(TOKEN_A)
      expect(served.probe.claims.filter((c) => c.key === first.key).map((c) => c.outcome)).toEqual(["claimed", "retry_claimed"])
    }))

  it.scopedLive("a replay store that cannot claim gets 503 (Slack retries) and runs nothing", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack({ failClaimsFrom: 1 })
      expect(yield* served.postEvent(eventCallback(TEAM_A, dm(TEAM_A, "/status")))).toMatchObject({ status: 503 })
      expect(served.backend.calls).toEqual([])
      expect(served.api.calls).toEqual([])
    }))

  it.scopedLive("the message's claim is the only store call before the 200: a store that fails after it cannot lose the message", () =>
    Effect.gen(function*() {
      // Claim 1 succeeds, every later claim fails: with a second claim behind the 200 the
      // message would be acknowledged and then dropped (Slack never redelivers after a 200).
      const served = yield* serveSlack({ failClaimsFrom: 2 })
      const ts = messageTs()
      const { res, key } = yield* send(served, TEAM_A, dm(TEAM_A, "/status", { ts }))
      expect(res.status).toBe(200)
      const [call] = yield* waitPosts(served, 1)
      expect(call!.body.text).toBe(STATUS)
      yield* settled(served, key)
      expect(served.probe.commits).toEqual([key])
      // The next message meets the failing store before its answer: 503, so Slack retries it.
      expect((yield* send(served, TEAM_A, dm(TEAM_A, "/status"))).res.status).toBe(503)
      expect(posts(served)).toHaveLength(1)
    }))
})

describe("Slack events: who is heard", () => {
  it.scopedLive("a channel message without the bot's mention is ignored; bots and edits too", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const before = yield* slackCount("ignored")
      // Filtered before any store I/O: acknowledged, nothing claimed.
      const filtered = [
        dm(TEAM_A, "/status", { extra: { bot_id: "B0OTHER01" } }),
        dm(TEAM_A, "/status", { extra: { subtype: "message_changed" } })
      ]
      for (const event of filtered) expect((yield* send(served, TEAM_A, event)).res).toMatchObject({ status: 200, text: "OK" })
      expect(served.probe.claims).toEqual([])
      expect((yield* slackCount("ignored")) - before).toBe(2)
      // Need the bot id (behind the answer): claimed, then skipped and committed.
      yield* send(served, TEAM_A, inChannel(TEAM_A, "/status"))
      yield* send(served, TEAM_A, inChannel(TEAM_A, `<@${BOT_B}> /status`))
      yield* send(served, TEAM_A, dm(TEAM_A, "/status", { user: BOT_A }))
      yield* countedUp("ignored", before, 5)
      expect(served.probe.claims.map((c) => c.outcome)).toEqual(["claimed", "claimed", "claimed"])
      expect(served.backend.calls).toEqual([])
      expect(posts(served)).toEqual([])
    }))

  it.scopedLive("without a bot id in the metadata, auth.test with the workspace's token finds it once", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack({ metadataBotIds: false })
      yield* send(served, TEAM_A, inChannel(TEAM_A, `<@${BOT_A}> /status`))
      yield* send(served, TEAM_A, inChannel(TEAM_A, `<@${BOT_A}> /status`))
      yield* waitPosts(served, 2)
      const tests = served.api.callsTo("auth.test")
      expect(tests.length).toBeGreaterThanOrEqual(1)
      expect(tests.every((t) => t.token === TOKEN_A)).toBe(true)
      yield* send(served, TEAM_A, inChannel(TEAM_A, `<@${BOT_A}> /status`))
      yield* waitPosts(served, 3)
      expect(served.api.callsTo("auth.test")).toHaveLength(tests.length)
    }))

  it.scopedLive("an unknown bot id never fails open: shared-channel messages are skipped, DMs still work", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack({ metadataBotIds: false })
      served.api.answer("auth.test", { json: { ok: false, error: "fatal_error" } })
      const before = yield* slackCount("ignored")
      yield* send(served, TEAM_A, inChannel(TEAM_A, `<@${BOT_A}> /status`, { type: "app_mention" }))
      // The skip is counted last: its log line is there once the count moved.
      yield* countedUp("ignored", before)
      expect(served.backend.calls).toEqual([])
      expect(posts(served)).toEqual([])
      expect(served.logs.some((l) => l.includes(`bot user id of workspace ${TEAM_A} unknown`))).toBe(true)
      yield* send(served, TEAM_A, dm(TEAM_A, "/status"))
      const [call] = yield* waitPosts(served, 1)
      expect(call!.body.text).toBe(STATUS)
    }))
})

describe("Slack events: outbound failures mark the installation", () => {
  it.scopedLive("invalid_auth from chat.postMessage marks the workspace invalid_token; 429 marks it degraded", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      served.api.answer("chat.postMessage", (call) =>
        call.token === TOKEN_A ? { json: { ok: false, error: "invalid_auth" } } : { status: 429, headers: { "retry-after": "0" }, json: {} })
      yield* send(served, TEAM_A, dm(TEAM_A, "/status"))
      yield* send(served, TEAM_B, dm(TEAM_B, "/status"))
      yield* eventually(() => served.registry.healthWrites.length >= 2)
      expect(served.registry.healthWrites).toEqual(expect.arrayContaining([
        { installationId: `slack:${TEAM_A}`, state: "invalid_token", reason: "slack_invalid_auth" },
        { installationId: `slack:${TEAM_B}`, state: "degraded", reason: "slack_ratelimited" }
      ]))
      const snapshot = yield* served.health.snapshot
      expect(snapshot.find((h) => h.installation === TEAM_A)?.state).toBe("invalid_token")
      expect(snapshot.find((h) => h.installation === TEAM_B)?.state).toBe("rate_limited")
      // A follows its record: no longer resolvable; nothing runs there now.
      const resolved = yield* served.credentials.resolve(TEAM_A)
      expect(resolved).toEqual({ _tag: "Missing", reason: "inactive_binding", transient: false })
      expect(Option.isSome(served.registry.record(`slack:${TEAM_B}`)!.health)).toBe(true)
    }))
})
