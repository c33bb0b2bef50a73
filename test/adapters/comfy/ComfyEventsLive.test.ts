import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Layer, Option, Scope } from "effect"
import { afterAll, beforeAll, beforeEach } from "vitest"
import type { JobSignal } from "../../../src/ports/ComfyEvents.js"
import { startFakeBackend, type FakeBackend } from "../../support/FakeBackend.js"
import { ADMIN_TOKEN, comfyLayer, makeLogCapture, startFollowing, waitFor } from "./support.js"

let fake: FakeBackend
beforeAll(async () => {
  fake = await startFakeBackend({ adminToken: ADMIN_TOKEN })
})
afterAll(() => fake.close())
beforeEach(() => fake.reset())

const image = (filename: string, type = "output") => ({ filename, subfolder: "", type })
const succeeded = (id: string): JobSignal => ({
  _tag: "Succeeded",
  images: [image(`ComfyUI_${id}_00001_.png`), image(`ComfyUI_temp_${id}_00001_.png`, "temp")]
})
const node = (id: string): JobSignal => ({ _tag: "Node", node: id, label: id })
const progress = (id: string, value: number, max: number): JobSignal => ({ _tag: "Progress", node: id, label: id, value, max })
const queued: JobSignal = { _tag: "Queued", ahead: undefined }
const started: JobSignal = { _tag: "Started" }

const accepted = () => fake.socketConnections.filter((c) => c.accepted).length
const socketUp = waitFor(() => accepted() === 1 && fake.openSockets === 1, "the adapter's websocket")
const count = (lines: ReadonlyArray<string>, pattern: RegExp) => lines.filter((l) => pattern.test(l)).length

describe("ComfyEventsLive over the websocket", () => {
  it.live("delivers a run's signals in order; the images come from history", () =>
    Effect.gen(function*() {
      yield* socketUp
      const f = yield* startFollowing("p-ws")
      fake.emitBinary(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9]))
      fake.emitText("not json")
      fake.emit({ type: "progress_state", data: { prompt_id: "p-ws", nodes: {} } })
      fake.emit({ type: "execution_start", data: { prompt_id: "someone-else" } })
      fake.runPrompt("p-ws")
      expect(yield* f.done).toEqual(Either.right([
        queued, started, node("4"), node("3"), progress("3", 1, 3), progress("3", 2, 3), progress("3", 3, 3),
        node("8"), node("9"), node("12"), succeeded("p-ws")
      ]))
      const view = yield* Effect.promise(() => fetch(`${fake.url}/view?filename=ComfyUI_p-ws_00001_.png&subfolder=&type=output`))
      expect(view.status).toBe(200)
    }).pipe(Effect.provide(comfyLayer(fake.url))))

  it.live("a follower that arrives after the prompt finished resolves from history alone", () => {
    fake.refuseSockets(true)
    fake.runPrompt("p-late")
    return Effect.gen(function*() {
      const f = yield* startFollowing("p-late")
      expect(yield* f.done).toEqual(Either.right([succeeded("p-late")]))
    }).pipe(Effect.provide(comfyLayer(fake.url)))
  })

  it.live("a failing run ends with Failed carrying ComfyUI's message", () =>
    Effect.gen(function*() {
      yield* socketUp
      const f = yield* startFollowing("p-fail")
      fake.failPrompt("p-fail", { message: "CUDA out of memory" })
      expect(yield* f.done).toEqual(Either.right([
        queued, started, node("3"), progress("3", 1, 20), { _tag: "Failed", message: "KSampler: CUDA out of memory" }
      ]))
    }).pipe(Effect.provide(comfyLayer(fake.url))))

  it.live("the admin token travels in the handshake header only; the client id is a random UUID", () => {
    const logs = makeLogCapture()
    return Effect.gen(function*() {
      yield* socketUp
      const [connection] = fake.socketConnections
      expect(connection?.headers["x-openclaw-admin-token"]).toBe(ADMIN_TOKEN)
      expect(connection?.headers["user-agent"]).toBe("OpenClaw-Connector/0.1.0")
      expect(connection?.clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      fake.closeSockets()
      yield* waitFor(() => accepted() === 2 && fake.openSockets === 1, "the reconnection")
      expect(fake.socketConnections[1]?.clientId).toBe(connection?.clientId)
      expect(logs.lines.join("\n")).not.toContain(ADMIN_TOKEN)
    }).pipe(Effect.provide(comfyLayer(fake.url)), Effect.provide(logs.layer))
  })

  it.live("without a token no token header is sent; a given client id is used", () =>
    Effect.gen(function*() {
      yield* socketUp
      expect(fake.socketConnections[0]?.headers["x-openclaw-admin-token"]).toBeUndefined()
      expect(fake.socketConnections[0]?.clientId).toBe("connector-1")
    }).pipe(Effect.provide(comfyLayer(fake.url, { adminToken: Option.none(), clientId: "connector-1" }))))

  it.live("an id the backend refuses fails with invalid-id before any call", () =>
    Effect.gen(function*() {
      const f = yield* startFollowing("bad/id")
      const result = yield* f.done
      expect(Either.isLeft(result) && result.left.reason).toBe("invalid-id")
      expect(fake.calls.filter((c) => c.path.startsWith("/history"))).toEqual([])
    }).pipe(Effect.provide(comfyLayer(fake.url))))
})

describe("ComfyEventsLive without a websocket", () => {
  it.live("polls history on the schedule when the socket is refused, logging the outage once", () => {
    fake.refuseSockets(true)
    const logs = makeLogCapture()
    return Effect.gen(function*() {
      const f = yield* startFollowing("p-poll")
      yield* waitFor(() => fake.callsTo("GET", "/history/p-poll").length >= 3, "three history polls")
      fake.completePrompt("p-poll", { "9": { images: [image("ComfyUI_p-poll_00001_.png")] } })
      expect(yield* f.done).toEqual(Either.right([queued, { _tag: "Succeeded", images: [image("ComfyUI_p-poll_00001_.png")] }]))
      yield* waitFor(() => fake.socketConnections.length >= 3, "several refused handshakes")
      expect(count(logs.lines, /event socket unavailable/)).toBe(1)
      expect(count(logs.lines, /event socket connected/)).toBe(0)
      expect(logs.lines.join("\n")).not.toContain(ADMIN_TOKEN)
    }).pipe(Effect.provide(comfyLayer(fake.url, { pollScheduleMillis: [10, 20] })), Effect.provide(logs.layer))
  })

  it.live("an error or interrupted entry found by polling is Failed, never a success without images", () => {
    fake.refuseSockets(true)
    return Effect.gen(function*() {
      const error = yield* startFollowing("p-err")
      const interrupted = yield* startFollowing("p-int")
      fake.completePrompt("p-err", {}, "error", { message: "boom", nodeType: "VAEDecode" })
      fake.completePrompt("p-int", { "9": { images: [image("x.png")] } }, "interrupted")
      expect(yield* error.done).toEqual(Either.right([queued, { _tag: "Failed", message: "VAEDecode: boom" }]))
      expect(yield* interrupted.done).toEqual(Either.right([queued, { _tag: "Failed", message: "Execution interrupted" }]))
    }).pipe(Effect.provide(comfyLayer(fake.url, { pollScheduleMillis: [10] })))
  })
})

describe("ComfyEventsLive when the socket drops", () => {
  it.live("a drop mid-run still ends with the terminal signal (re-checked on down/up)", () => {
    const logs = makeLogCapture()
    return Effect.gen(function*() {
      yield* socketUp
      const f = yield* startFollowing("p-drop")
      const outputs = fake.runPrompt("p-drop", { finish: false })
      yield* waitFor(() => f.seen.some((s) => s._tag === "Progress"), "progress")
      fake.closeSockets()
      fake.completePrompt("p-drop", outputs)
      const result = yield* f.done
      const signals = Either.getOrThrow(result)
      expect(signals.slice(0, 3)).toEqual([queued, started, node("4")])
      expect(signals.at(-1)).toEqual(succeeded("p-drop"))
      yield* waitFor(() => accepted() === 2 && fake.openSockets === 1, "the reconnection")
      yield* waitFor(() => count(logs.lines, /event socket connected/) === 2, "the second connected line")
      expect(count(logs.lines, /event socket lost/)).toBe(1)
    }).pipe(Effect.provide(comfyLayer(fake.url)), Effect.provide(logs.layer))
  })

  it.live("after a reconnect the run's remaining frames end it", () =>
    Effect.gen(function*() {
      yield* socketUp
      const f = yield* startFollowing("p-re")
      const outputs = fake.runPrompt("p-re", { finish: false })
      yield* waitFor(() => f.seen.length >= 4, "the first frames")
      fake.closeSockets()
      yield* waitFor(() => accepted() === 2 && fake.openSockets === 1, "the reconnection")
      fake.emit({ type: "execution_success", data: { prompt_id: "p-re" } })
      fake.completePrompt("p-re", outputs)
      fake.emit({ type: "executing", data: { node: null, prompt_id: "p-re" } })
      expect(Either.getOrThrow(yield* f.done).at(-1)).toEqual(succeeded("p-re"))
    }).pipe(Effect.provide(comfyLayer(fake.url))))

  it.live("an oversized frame drops the connection, which comes back", () =>
    Effect.gen(function*() {
      yield* socketUp
      fake.emitText(JSON.stringify({ type: "status", data: { pad: "x".repeat(4_096) } }))
      yield* waitFor(() => accepted() === 2 && fake.openSockets === 1, "the reconnection")
    }).pipe(Effect.provide(comfyLayer(fake.url, { maxMessageBytes: 1_024 }))))

  it.live("closing the layer closes the socket and ends followers", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(comfyLayer(fake.url), scope)
      yield* socketUp
      const f = yield* startFollowing("p-close").pipe(Effect.provide(context))
      yield* Scope.close(scope, Exit.void)
      expect(yield* f.done).toEqual(Either.right([queued]))
      yield* waitFor(() => fake.openSockets === 0, "the socket to close")
    }))
})

describe("ComfyEventsLive queue positions (/openclaw/jobs)", () => {
  const jobsCalls = () => fake.callsTo("GET", "/openclaw/jobs").length
  const status = () => fake.emit({ type: "status", data: { status: { exec_info: { queue_remaining: fake.state.queueRemaining() } } } })

  it.live("two prompts ahead, then one: each position once, then the run", () =>
    Effect.gen(function*() {
      yield* socketUp
      fake.state.queuePrompt("", "p-a")
      fake.state.queuePrompt("", "p-b")
      fake.state.queuePrompt("", "p-c")
      const f = yield* startFollowing("p-c")
      yield* waitFor(() => f.seen.length === 2, "the first position")
      status()
      yield* waitFor(() => jobsCalls() >= 2, "a second jobs call")
      fake.completePrompt("p-a", {})
      status()
      yield* waitFor(() => f.seen.length === 3, "the second position")
      fake.runPrompt("p-c")
      expect(yield* f.done).toEqual(Either.right([
        queued, { _tag: "Queued", ahead: 2 }, { _tag: "Queued", ahead: 1 }, started,
        node("4"), node("3"), progress("3", 1, 3), progress("3", 2, 3), progress("3", 3, 3), node("8"), node("9"), node("12"),
        succeeded("p-c")
      ]))
      expect(fake.callsTo("GET", "/openclaw/jobs").every((c) => c.headers["x-openclaw-admin-token"] === ADMIN_TOKEN)).toBe(true)
    }).pipe(Effect.provide(comfyLayer(fake.url, { jobsIntervalMillis: 20 }))))

  it.live("jobs API 501: no position is shown and the follower ends normally", () => {
    fake.state.jobsMode = "unsupported"
    return Effect.gen(function*() {
      yield* socketUp
      fake.state.queuePrompt("", "p-a")
      fake.state.queuePrompt("", "p-b")
      const f = yield* startFollowing("p-b")
      yield* waitFor(() => jobsCalls() === 1, "the jobs call")
      status()
      fake.runPrompt("p-b")
      expect(yield* f.done).toEqual(Either.right([
        queued, started, node("4"), node("3"), progress("3", 1, 3), progress("3", 2, 3), progress("3", 3, 3), node("8"), node("9"), node("12"),
        succeeded("p-b")
      ]))
      expect(jobsCalls()).toBe(1)
    }).pipe(Effect.provide(comfyLayer(fake.url, { jobsIntervalMillis: 20 })))
  })

  it.live("a prompt the jobs list shows running is Started without a frame (OpenClaw's prompts send none here)", () =>
    Effect.gen(function*() {
      yield* socketUp
      fake.setJobs([
        { id: "p-run", status: "in_progress", create_time: 2, priority: 1, outputs_count: 0 },
        { id: "p-old", status: "completed", create_time: 1, priority: 0, outputs_count: 1 }
      ])
      fake.state.queuePrompt("", "p-run")
      status()
      const f = yield* startFollowing("p-run")
      yield* waitFor(() => f.seen.length === 2, "Started")
      fake.completePrompt("p-run", { "9": { images: [image("ComfyUI_p-run_00001_.png")] } })
      // The live jobs list shows it ended (the queue shrink asks the list before history).
      fake.setJobs([
        { id: "p-run", status: "completed", create_time: 2, priority: 1, outputs_count: 1 },
        { id: "p-old", status: "completed", create_time: 1, priority: 0, outputs_count: 1 }
      ])
      status()
      expect(yield* f.done).toEqual(Either.right([queued, started, { _tag: "Succeeded", images: [image("ComfyUI_p-run_00001_.png")] }]))
    }).pipe(Effect.provide(comfyLayer(fake.url, { jobsIntervalMillis: 20 }))))
})
