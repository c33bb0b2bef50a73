import { Effect, Either } from "effect"
import { Backend } from "../../ports/Backend.js"
import { Settings } from "../../ports/Settings.js"
import type { CommandRequest } from "../model/Request.js"
import { type Reply, textReply } from "../model/Reply.js"
import { renderCommand, validateSuggestion } from "./CommandFirewall.js"
import { askLlm, llmConfigured } from "./LlmClient.js"
import { CHAT_TEXT, runUserPrompt, statusPrompt, systemPrompt, templateUserPrompt } from "./Prompts.js"
import {
  evaluateRequest,
  extractCommandCandidate,
  type GuardDecision,
  type Intent,
  policyKV,
  validateOutput
} from "./SemanticGuard.js"

/**
 * `/chat` (spec/domain-core.md §8.10): an LLM assistant that only ever *suggests* text. Nothing
 * it answers is executed here or elsewhere; a suggested `/run` is shown as a code block for the
 * user to send themselves (and then goes through authorization and trust like any message).
 *
 * Every sub-command's request passes the semantic guard first (a DENY never reaches the LLM);
 * with `chatTrustedOnly`, strangers are refused before any backend call.
 */

type Trust = "TRUSTED" | "UNTRUSTED"

const blocked = (decision: GuardDecision): Reply =>
  textReply(`[Blocked] Request denied by semantic policy (${decision.reason}). ${policyKV(decision)}`)

const outputInvalid = (error: string, severity: "medium" | "high"): Reply =>
  textReply(
    `[Validation Error] Assistant output invalid: ${error}. ` +
      policyKV({ code: "semantic_output_invalid", severity, action: "deny", reason: error })
  )

/** Guard evaluation for a sub-command; `Left` is the reply that ends the command. */
const guard = (message: string, trust: string, intent?: Intent): Either.Either<GuardDecision, Reply> => {
  const decision = evaluateRequest(message, { trust, intent })
  return decision.action === "deny" ? Either.left(blocked(decision)) : Either.right(decision)
}

const chatGeneral = (message: string, trust: Trust) =>
  Effect.gen(function*() {
    const decision = guard(message, trust)
    if (Either.isLeft(decision)) return decision.left
    const answer = yield* askLlm(systemPrompt(trust), message)
    if (answer._tag === "Failed") return textReply(answer.text)
    const checked = validateOutput(answer.text, "general", decision.right.action)
    if (Either.isLeft(checked)) return outputInvalid(checked.left, "medium")
    if (decision.right.action === "safe_reply_only") {
      const shown = checked.right === "" ? CHAT_TEXT.safeModeFallback : checked.right
      return textReply(`[Safe Mode] ${shown}\n\n(Policy: ${policyKV(decision.right)})`)
    }
    return textReply(checked.right)
  })

const chatRun = (request: string, trust: Trust) =>
  Effect.gen(function*() {
    if (request === "") return textReply(CHAT_TEXT.runUsage)
    // `/chat run` is a run request by definition: elevated risk forces approval on the suggestion.
    const decision = guard(request, trust, "run")
    if (Either.isLeft(decision)) return decision.left
    const forceApproval = decision.right.action === "force_approval"
    const answer = yield* askLlm(systemPrompt(trust), runUserPrompt(request, trust))
    if (answer._tag === "Failed") return textReply(answer.text)
    const checked = validateOutput(answer.text, "run", decision.right.action)
    if (Either.isLeft(checked)) return outputInvalid(checked.left, "high")
    const normalized = validateSuggestion(extractCommandCandidate(checked.right))
    if (!normalized.isSafe) {
      return textReply(`[Safety Block] Assistant suggested unsafe command: ${normalized.reason}. ${policyKV(normalized)}`)
    }
    if (normalized.command !== "/run") {
      return textReply(
        `[Policy Block] Only /run commands are allowed in this mode. Got: ${normalized.command}. ` +
          policyKV({ code: "firewall_non_run_command", severity: "high", action: "deny", reason: "non_run_command_in_run_mode" })
      )
    }
    const needsFlag = forceApproval && !normalized.args.includes("--approval") && !normalized.flags.has("approval")
    const suggestion = renderCommand(needsFlag ? { ...normalized, args: [...normalized.args, "--approval"] } : normalized)
    const policy = forceApproval ? `\n(Policy: ${policyKV(decision.right)})` : ""
    return textReply("```\n" + suggestion + "\n```" + policy)
  })

const chatTemplate = (request: string, trust: Trust) =>
  Effect.gen(function*() {
    if (request === "") return textReply(CHAT_TEXT.templateUsage)
    const decision = guard(request, trust, "template")
    if (Either.isLeft(decision)) return decision.left
    const answer = yield* askLlm(systemPrompt("N/A"), templateUserPrompt(request))
    return textReply(answer.text)
  })

/** Summarises public health and the coarse queue; never the admin-only jobs snapshot. */
const chatStatus = (request: string, trust: Trust) =>
  Effect.gen(function*() {
    const decision = guard(request, trust, "status")
    if (Either.isLeft(decision)) return decision.left
    const backend = yield* Backend
    const health = yield* Effect.either(backend.health)
    const queue = yield* Effect.either(backend.promptQueue)
    const statusData = {
      health: Either.isRight(health) ? health.right : "unavailable",
      jobs: CHAT_TEXT.jobsInStatus,
      queue: Either.isRight(queue) ? queue.right : "unavailable"
    }
    const answer = yield* askLlm(systemPrompt("N/A"), statusPrompt(JSON.stringify(statusData)))
    return textReply(answer.text)
  })

/**
 * `/chat` after authorization. `trusted` is the sender's trust as the policy decided it (admins
 * are trusted); it sets the prompts' trust label and, with `chatTrustedOnly`, who may use `/chat`.
 */
export const chatCommand = (
  _request: CommandRequest,
  args: ReadonlyArray<string>,
  trusted: boolean
): Effect.Effect<Reply, never, Backend | Settings> =>
  Effect.gen(function*() {
    const settings = yield* Settings
    if (settings.chatTrustedOnly && !trusted) return textReply(CHAT_TEXT.trustedOnly)
    if (!(yield* llmConfigured)) return textReply(CHAT_TEXT.notConfigured)
    const [first, ...rest] = args
    if (first === undefined) return textReply(CHAT_TEXT.usage)
    const trust: Trust = trusted ? "TRUSTED" : "UNTRUSTED"
    const message = rest.join(" ")
    switch (first.toLowerCase()) {
      case "run":
        return yield* chatRun(message, trust)
      case "template":
        return yield* chatTemplate(message, trust)
      case "status":
        return yield* chatStatus(message, trust)
      default:
        return yield* chatGeneral(args.join(" "), trust)
    }
  }).pipe(Effect.withSpan("Chat.chatCommand"))
