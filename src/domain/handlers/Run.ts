import { Effect, Either } from "effect"
import { DeliveryTexts } from "../delivery/DeliveryTexts.js"
import { isTrusted } from "../policy/Policy.js"
import { Texts } from "../render/Texts.js"
import { display, field, hasField, nonEmptyString, truthy } from "../render/Values.js"
import { Backend } from "../../ports/Backend.js"
import { failed, type Handled, type HandlerInput, ok, usage } from "./Handled.js"
import { recordDelivery, withDeliveryNote } from "./Ledger.js"

const APPROVAL_FLAGS = new Set(["--require-approval", "--approval", "-a"])
const PREFERRED_PROMPT_KEYS = ["positive_prompt", "prompt", "text", "positive", "caption"]

export interface RunPlan {
  readonly templateId: string
  readonly inputs: Readonly<Record<string, string>>
  readonly freeText: string | undefined
  readonly explicitApproval: boolean
}

/**
 * `/run` arguments (domain-core §8.3): approval flags anywhere are removed and set the flag; the
 * first remaining arg is the template id verbatim; later args containing `=` are inputs (split at
 * the first `=`, both sides trimmed, later duplicates win); the rest is free text.
 */
export const planRun = (args: ReadonlyArray<string>): RunPlan | "no-args" | "no-template" => {
  if (args.length === 0) return "no-args"
  const clean = args.filter((a) => !APPROVAL_FLAGS.has(a))
  const [templateId, ...rest] = clean
  if (templateId === undefined) return "no-template"
  const inputs = new Map<string, string>() // a Map, so keys like `__proto__` stay plain data
  const free: Array<string> = []
  for (const arg of rest) {
    const eq = arg.indexOf("=")
    if (eq >= 0) inputs.set(arg.slice(0, eq).trim(), arg.slice(eq + 1).trim())
    else free.push(arg)
  }
  return {
    templateId,
    inputs: Object.fromEntries(inputs),
    freeText: free.length > 0 ? free.join(" ").trim() : undefined,
    explicitApproval: clean.length !== args.length
  }
}

/**
 * The input free text goes to: a template declaring exactly one input gets it there; otherwise
 * the first preferred prompt name it declares; otherwise `positive_prompt`.
 */
export const promptKeyFor = (allowedInputs: unknown): string => {
  if (!Array.isArray(allowedInputs)) return "positive_prompt"
  if (allowedInputs.length === 1) return display(allowedInputs[0])
  return PREFERRED_PROMPT_KEYS.find((k) => allowedInputs.includes(k)) ?? "positive_prompt"
}

/**
 * Reads the template's `allowed_inputs` from GET /openclaw/templates (body `{templates: [...]}`,
 * fixing the reference, which looked one level too high and never found it). Not cached: the list
 * is small, only free-text runs ask, and a cache would hide template edits. A failed look-up only
 * means the default prompt key is used, so it is not an error.
 */
const promptKey = Effect.fn("Run.promptKey")(function*(templateId: string) {
  const backend = yield* Backend
  const body = yield* Effect.either(backend.templates)
  if (Either.isLeft(body)) return promptKeyFor(undefined)
  const templates = field(body.right, "templates")
  const meta = Array.isArray(templates) ? templates.find((t) => field(t, "id") === templateId) : undefined
  return promptKeyFor(field(meta, "allowed_inputs"))
})

/** `/run` (RUN class): untrusted senders always ask for approval (the trust downgrade). */
export const runCommand = Effect.fn("Run.command")(function*({ args, context, request, settings }: HandlerInput) {
  const plan = planRun(args)
  if (plan === "no-args") return usage(Texts.runUsage)
  if (plan === "no-template") return usage(Texts.runUsageShort)

  const inputs = { ...plan.inputs }
  if (plan.freeText !== undefined) {
    const key = yield* promptKey(plan.templateId)
    if (!Object.prototype.hasOwnProperty.call(inputs, key)) {
      Object.defineProperty(inputs, key, { value: plan.freeText, enumerable: true, writable: true, configurable: true })
    }
  }
  const requireApproval = plan.explicitApproval || !isTrusted(settings, request)

  const backend = yield* Backend
  const submitted = yield* Effect.either(backend.submitJob({ templateId: plan.templateId, inputs, requireApproval }))
  if (Either.isLeft(submitted)) return failed(`[Submission Failed] Reason: ${submitted.left.message}`)
  const body = submitted.right
  const traceLine = `Trace: ${display(field(body, "trace_id"))}`

  if (truthy(field(body, "pending"))) {
    const approvalId = nonEmptyString(field(body, "approval_id"))
    if (approvalId === undefined) {
      return failed("[Submission Failed] Reason: the backend reply has no approval_id, so the approval cannot be followed.")
    }
    const expires = hasField(body, "expires_at") ? `\nExpires: ${display(field(body, "expires_at"))}` : ""
    const text = `[Approval Requested]\nID: ${approvalId}\n${traceLine}${expires}`
    // Following an approval reads it with the admin token; without one nothing is recorded (as
    // the reference), and the requester learns why in the same reply.
    if (!settings.adminTokenConfigured) return ok(`${text}\n${DeliveryTexts.approvalTrackingNeedsToken}`) satisfies Handled
    const recorded = yield* recordDelivery("approval", approvalId, request, context.eventKey, plan.templateId)
    return ok(withDeliveryNote(text, recorded, Texts.deliveryNotRecorded)) satisfies Handled
  }

  const promptId = nonEmptyString(field(body, "prompt_id"))
  if (promptId === undefined) {
    return failed("[Submission Failed] Reason: the backend reply has no prompt_id, so the job cannot be followed.")
  }
  const recorded = yield* recordDelivery("job", promptId, request, context.eventKey, plan.templateId)
  const text = `[Job Submitted]\nID: ${promptId}\nTemplate: ${plan.templateId}\n${traceLine}`
  return ok(withDeliveryNote(text, recorded, Texts.deliveryNotRecorded)) satisfies Handled
})
