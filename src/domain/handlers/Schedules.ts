import { Effect, Either } from "effect"
import { Texts } from "../render/Texts.js"
import { display, field, truthy } from "../render/Values.js"
import { Backend } from "../../ports/Backend.js"
import { adminTokenGuard, failed, type HandlerInput, idGuard, ok, usage } from "./Handled.js"

/** When a schedule fires: its cron expression, else `every <interval_sec>s`, else unknown. */
const whenOf = (schedule: unknown): string => {
  const cron = field(schedule, "cron_expr") ?? field(schedule, "cron")
  if (cron !== undefined && cron !== null && cron !== "") return display(cron)
  const interval = field(schedule, "interval_sec")
  return interval !== undefined && interval !== null ? `every ${display(interval)}s` : "unknown"
}

/** One line per schedule of the real backend shape (`schedule_id`, `cron_expr`/`interval_sec`). */
export const scheduleLine = (schedule: unknown): string =>
  `[${truthy(field(schedule, "enabled")) ? "+" : "-"}] ${display(field(schedule, "schedule_id") ?? field(schedule, "id"))}: ` +
  `${whenOf(schedule)} - ${display(field(schedule, "template_id"))}`

/** `/schedules` (ADMIN; token guard first). */
export const schedulesCommand = Effect.fn("Schedules.list")(function*({ settings }: HandlerInput) {
  const guarded = adminTokenGuard(settings)
  if (guarded !== undefined) return guarded
  const backend = yield* Backend
  const result = yield* Effect.either(backend.schedules)
  if (Either.isLeft(result)) return failed(`[Error] ${result.left.message}`)
  const listed = field(result.right, "schedules")
  const schedules: ReadonlyArray<unknown> = Array.isArray(listed) ? listed : []
  if (schedules.length === 0) return ok("No schedules found.")
  return ok(`Schedules:\n${schedules.map(scheduleLine).join("\n")}`)
})

/** `/schedule <run|toggle> <id>` (ADMIN; usage, then token guard). Only `run` is implemented. */
export const scheduleCommand = Effect.fn("Schedules.run")(function*({ args, settings }: HandlerInput) {
  const [sub, id] = args
  if (sub === undefined || id === undefined) return usage(Texts.scheduleUsage)
  const guarded = adminTokenGuard(settings)
  if (guarded !== undefined) return guarded
  if (sub.toLowerCase() !== "run") return usage("Not implemented yet.")
  const badId = idGuard(id)
  if (badId !== undefined) return badId
  const backend = yield* Backend
  const result = yield* Effect.either(backend.runSchedule(id))
  return Either.isRight(result)
    ? ok(`[Success] Schedule ${id} triggered manually.`)
    : failed(`[Error] ${result.left.message}`)
})
