import { Effect, Layer } from "effect"
import { Backend, BackendError } from "../../../../src/ports/Backend.js"

/** Counts calls per operation; every operation not configured dies loudly (Layer.mock). */
export interface Calls { jobs: number; promptQueue: number }

export const jobsBackend = (
  jobs: Effect.Effect<unknown, BackendError>,
  promptQueue: Effect.Effect<unknown, BackendError> = Effect.die("promptQueue must not be called")
) => {
  const calls: Calls = { jobs: 0, promptQueue: 0 }
  const layer = Layer.mock(Backend, {
    jobs: Effect.suspend(() => { calls.jobs++; return jobs }),
    promptQueue: Effect.suspend(() => { calls.promptQueue++; return promptQueue })
  })
  return { calls, layer }
}

export const rejected = (status: number, body: unknown, message = "secret-backend-detail") =>
  Effect.fail(new BackendError({ reason: "rejected", status, message, body }))
