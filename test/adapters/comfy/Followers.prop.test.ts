import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Fiber, PubSub, Stream } from "effect"
import { REFERENCE_POLL_SCHEDULE_MILLIS } from "../../../src/adapters/comfy/ComfyEventsLive.js"
import type { HubMessage } from "../../../src/adapters/comfy/ComfyMessages.js"
import { isTerminalSignal, type JobSignal } from "../../../src/ports/ComfyEvents.js"
import { historyBackend, makeHubFollow } from "./support.js"

/**
 * Demultiplexing: for any interleaving of several prompts' frames (plus status broadcasts, socket
 * up/down notices and frames of prompts nobody follows), each follower sees only its prompt's
 * signals, in order, and exactly one terminal signal, the right one, last. Runs on the TestClock,
 * so no timer fires: every follower must end from the frames and history alone.
 */

interface Script {
  readonly nodes: number
  readonly ticks: number
  readonly end: "success" | "error" | "interrupted"
  readonly images: number
}

const script: fc.Arbitrary<Script> = fc.record({
  nodes: fc.integer({ min: 0, max: 3 }),
  ticks: fc.integer({ min: 0, max: 3 }),
  end: fc.constantFrom("success" as const, "error" as const, "interrupted" as const),
  images: fc.integer({ min: 0, max: 2 })
})

const noise: fc.Arbitrary<HubMessage> = fc.oneof(
  fc.record({ _tag: fc.constant("Status" as const), queueRemaining: fc.option(fc.nat(5), { nil: undefined }) }),
  fc.constant({ _tag: "QueueShrank" as const }),
  fc.record({ _tag: fc.constant("Link" as const), up: fc.boolean() }),
  fc.constant({ _tag: "Started" as const, promptId: "ghost" }),
  fc.constant({ _tag: "Executing" as const, promptId: "ghost", node: undefined }),
  fc.constant({ _tag: "Success" as const, promptId: "ghost" }),
  fc.constant({ _tag: "Error" as const, promptId: "ghost", report: { exceptionMessage: "x", exceptionType: undefined, nodeType: undefined, nodeId: undefined } })
)

type Step = { readonly message: HubMessage; readonly before?: () => void }

const imagesOf = (id: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ filename: `${id}-${i}.png`, subfolder: "", type: "output" }))

/** A prompt's frames, the signals they should give, its terminal signal and its history entry. */
const plan = (id: string, s: Script, history: Map<string, unknown>) => {
  const steps: Array<Step> = [{ message: { _tag: "Started", promptId: id } }]
  const expected: Array<JobSignal> = [{ _tag: "Started" }]
  for (let n = 0; n < s.nodes; n++) {
    const node = `${id}.${n}`
    steps.push({ message: { _tag: "Executing", promptId: id, node } })
    expected.push({ _tag: "Node", node, label: node })
    for (let t = 1; t <= s.ticks; t++) {
      steps.push({ message: { _tag: "Progress", promptId: id, node, value: t, max: s.ticks } })
      expected.push({ _tag: "Progress", node, label: node, value: t, max: s.ticks })
    }
  }
  const images = imagesOf(id, s.images)
  const outputs = { "9": { images } }
  if (s.end === "success") {
    const before = () => history.set(id, { outputs, status: { status_str: "success", messages: [] } })
    steps.push({ message: { _tag: "Success", promptId: id }, before }, { message: { _tag: "Executing", promptId: id, node: undefined } })
    return { steps, expected, terminal: { _tag: "Succeeded", images } as JobSignal }
  }
  if (s.end === "error") {
    const report = { exceptionMessage: `boom ${id}`, exceptionType: "RuntimeError", nodeType: "KSampler", nodeId: "3" }
    const message = ["execution_error", { exception_message: `boom ${id}`, node_type: "KSampler" }]
    const before = () => history.set(id, { outputs, status: { status_str: "error", messages: [message] } })
    steps.push({ message: { _tag: "Error", promptId: id, report }, before })
    return { steps, expected, terminal: { _tag: "Failed", message: `KSampler: boom ${id}` } as JobSignal }
  }
  const before = () => history.set(id, { outputs, status: { status_str: "error", messages: [["execution_interrupted", {}]] } })
  steps.push({ message: { _tag: "Interrupted", promptId: id }, before })
  return { steps, expected, terminal: { _tag: "Failed", message: "Execution interrupted" } as JobSignal }
}

/** Merges the prompts' step lists in the order `picks` chooses, keeping each list's own order. */
const interleave = (lists: ReadonlyArray<ReadonlyArray<Step>>, picks: ReadonlyArray<number>, extra: ReadonlyArray<[number, HubMessage]>) => {
  const rest = lists.map((l) => [...l])
  const merged: Array<Step> = []
  let i = 0
  while (rest.some((l) => l.length > 0)) {
    const open = rest.filter((l) => l.length > 0)
    merged.push(open[(picks[i++] ?? 0) % open.length]!.shift()!)
  }
  for (const [at, message] of extra) merged.splice(at % (merged.length + 1), 0, { message })
  return merged
}

describe("ComfyEvents followers", () => {
  it.effect.prop(
    "each follower sees only its prompt's signals, in order, and exactly one terminal signal",
    [fc.array(script, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 60 }), fc.array(fc.tuple(fc.nat(), noise), { maxLength: 8 })],
    ([scripts, picks, extra]) =>
      Effect.gen(function*() {
        const history = new Map<string, unknown>()
        const asked = new Set<string>()
        const backend = historyBackend((id) =>
          Effect.sync(() => {
            asked.add(id)
            const entry = history.get(id)
            return entry === undefined ? {} : { [id]: entry }
          })
        )
        const { follow, hub } = yield* makeHubFollow(backend, { pollScheduleMillis: REFERENCE_POLL_SCHEDULE_MILLIS, upPollMillis: 30_000 })
        const ids = scripts.map((_, i) => `p${i}`)
        const plans = scripts.map((s, i) => plan(ids[i]!, s, history))
        const fibers = yield* Effect.forEach(ids, (id) =>
          follow(id, { deadlineMillis: 600_000 }).pipe(Stream.runCollect, Effect.map((c) => [...c]), Effect.fork))
        // Subscribed once each has asked history (the subscription comes first).
        for (let i = 0; i < 1_000 && asked.size < ids.length; i++) yield* Effect.yieldNow()
        expect(asked.size).toBe(ids.length)

        for (const step of interleave(plans.map((p) => p.steps), picks, extra)) {
          step.before?.()
          yield* PubSub.publish(hub, step.message)
        }

        // Frames are all published before the followers route them, and each history entry is
        // written as its end frame is published. Only a wake-up (Link, QueueShrank) can make a
        // follower read that entry before it routed its earlier frames, ending it early; without
        // one, a follower ends only on its own end frame, after every signal before it.
        const wakes = extra.some(([, m]) => m._tag === "Link" || m._tag === "QueueShrank")
        for (const [i, fiber] of fibers.entries()) {
          const signals = yield* Fiber.join(fiber)
          const { expected, terminal } = plans[i]!
          expect(signals[0]).toEqual({ _tag: "Queued", ahead: undefined })
          expect(signals.filter(isTerminalSignal)).toEqual([terminal])
          expect(signals.at(-1)).toEqual(terminal)
          const middle = signals.slice(1, -1)
          expect(middle).toEqual(wakes ? expected.slice(0, middle.length) : expected)
        }
      }),
    { fastCheck: { numRuns: 100 } }
  )
})
