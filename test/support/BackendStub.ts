import { Context, Effect, Layer } from "effect"
import { Backend, BackendError, type Json } from "../../src/ports/Backend.js"

/**
 * A recording fake of the Backend port. Each test sets what every operation answers (a JSON body,
 * a BackendError, or a function of the call's arguments returning either) and reads back the calls
 * made, in order. An operation with no answer fails with an `unreachable` BackendError, so a
 * forgotten stub shows up as an error reply, never as a silent success.
 */
export type BackendService = Context.Tag.Service<Backend>
export type BackendOp = keyof BackendService

export type StubAnswer = Json | BackendError
export type StubResponse = StubAnswer | ((...args: ReadonlyArray<unknown>) => StubAnswer)

export interface BackendCall {
  readonly op: BackendOp
  readonly args: ReadonlyArray<unknown>
}

export interface BackendStub {
  readonly layer: Layer.Layer<Backend>
  /** Every call, in order. */
  readonly calls: Array<BackendCall>
  /** The argument lists of the calls to one operation. */
  readonly callsTo: (op: BackendOp) => ReadonlyArray<ReadonlyArray<unknown>>
  readonly set: (op: BackendOp, response: StubResponse) => void
}

const OPERATIONS: ReadonlyArray<BackendOp> = [
  "health", "config", "templates", "chatLlm", "promptQueue", "history", "trace", "jobs", "submitJob",
  "cancelJob", "cancelJobs", "interrupt", "view", "pendingApprovals", "approval", "approve", "reject",
  "schedules", "runSchedule"
]
/** Operations that are plain effects in the port; all others are functions of their arguments. */
const VALUES = new Set<BackendOp>(["health", "config", "templates", "promptQueue", "jobs", "pendingApprovals", "schedules"])

export const backendError = (message: string, over: Partial<ConstructorParameters<typeof BackendError>[0]> = {}) =>
  new BackendError({ reason: "rejected", message, ...over })

export const makeBackendStub = (responses: Partial<Record<BackendOp, StubResponse>> = {}): BackendStub => {
  const answers = new Map<BackendOp, StubResponse>(Object.entries(responses) as Array<[BackendOp, StubResponse]>)
  const calls: Array<BackendCall> = []

  const invoke = (op: BackendOp, args: ReadonlyArray<unknown>) =>
    Effect.suspend(() => {
      calls.push({ op, args })
      const response = answers.get(op)
      if (response === undefined) {
        return Effect.fail(new BackendError({ reason: "unreachable", message: `no stub response for ${op}` }))
      }
      const answer = typeof response === "function" ? response(...args) : response
      return answer instanceof BackendError ? Effect.fail(answer) : Effect.succeed(answer)
    })

  const service = Object.fromEntries(
    OPERATIONS.map((op) => [op, VALUES.has(op) ? invoke(op, []) : (...args: ReadonlyArray<unknown>) => invoke(op, args)])
  ) as unknown as BackendService

  return {
    layer: Layer.succeed(Backend, service),
    calls,
    callsTo: (op) => calls.filter((c) => c.op === op).map((c) => c.args),
    set: (op, response) => void answers.set(op, response)
  }
}
