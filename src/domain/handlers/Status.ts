import { Effect, Either } from "effect"
import { Texts } from "../render/Texts.js"
import { displayCount, field } from "../render/Values.js"
import { Backend } from "../../ports/Backend.js"
import { ok } from "./Handled.js"

/**
 * `/status` (PUBLIC): health then queue, both always asked. A failed queue read shows `Queue: 0`
 * (the reference's behaviour); a failed health read is the `[Offline]` reply with the error text.
 */
export const statusCommand = Effect.fn("Status.command")(function*() {
  const backend = yield* Backend
  const health = yield* Effect.either(backend.health)
  const queue = yield* Effect.either(backend.promptQueue)
  if (Either.isLeft(health)) return ok(`[Offline] System Status\n- Error: ${health.left.message}`)
  const stats = field(health.right, "stats")
  const remaining = Either.isRight(queue) ? field(field(queue.right, "exec_info"), "queue_remaining") : undefined
  return ok(
    [
      "[Online] System Status",
      `- Logs: ${displayCount(field(stats, "logs_processed"))}`,
      `- Errors: ${displayCount(field(stats, "errors_captured"))}`,
      `- Queue: ${displayCount(remaining)}`
    ].join("\n")
  )
})

/** `/help` (PUBLIC): ignores arguments. */
export const helpCommand = () => Effect.succeed(ok(Texts.help))
