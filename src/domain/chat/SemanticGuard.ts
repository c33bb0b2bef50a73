import { Either } from "effect"

/**
 * The semantic guard (S44, spec/domain-core.md §9): a coarse risk screen on what a user asks
 * `/chat`, and a structural check on what the LLM answers. It never executes anything; it only
 * decides whether the request reaches the LLM and what the user may see of the answer.
 */
export type Intent = "run" | "template" | "status" | "general"
export type GuardAction = "allow" | "safe_reply_only" | "force_approval" | "deny"
export type GuardMode = "off" | "audit" | "enforce"

/** The contract fields shown to users as `[code=…, severity=…, action=…, reason=…]`. */
export interface PolicyContract {
  readonly code: string
  readonly severity: string
  readonly action: string
  readonly reason: string
}

export interface GuardDecision extends PolicyContract {
  readonly action: GuardAction
  readonly riskScore: number
  readonly intent: Intent
  readonly riskReasons: ReadonlyArray<string>
  readonly trust: string
  /** Audit mode only: what enforce mode would have done. */
  readonly wouldAction?: GuardAction | undefined
}

export const DEFAULT_RISK_THRESHOLD = 0.7

const JAILBREAK_PATTERNS = ["ignore previous", "ignore all", "system prompt", "developer message", "override policy"]
const DANGEROUS_TOKEN = /[;|`]|\$\(/
const EXPLICIT_SUBCOMMANDS: ReadonlyArray<Intent> = ["run", "template", "status"]

/** First fenced block, with an optional tag of `[A-Za-z0-9_+-]`; group 1 is the content. */
const CODE_BLOCK = /```(?:[a-zA-Z0-9_+-]+)?\s*([\s\S]*?)\s*```/
const CODE_BLOCKS = new RegExp(CODE_BLOCK.source, "g")
/** A line that is a slash command, e.g. `/run x` or `  /status`. */
const COMMAND_LINE = /^\s*\/[a-zA-Z0-9_-]+(?:\s+.*)?$/gm
const REMOVED = "[command removed by policy]"

const codePointLength = (s: string): number => [...s].length

export const classify = (message: string): Intent => {
  const msg = message.trim().toLowerCase()
  if (msg.startsWith("/chat ")) {
    const sub = msg.split(" ", 3)[1]
    const explicit = EXPLICIT_SUBCOMMANDS.find((s) => s === sub)
    if (explicit !== undefined) return explicit
  }
  if (["generate", "create", "make", "draw", "run"].some((k) => msg.includes(k))) return "run"
  if (["status", "health", "queue", "jobs"].some((k) => msg.includes(k))) return "status"
  if (["template", "json", "workflow"].some((k) => msg.includes(k))) return "template"
  return "general"
}

export const score = (message: string): { readonly score: number; readonly reasons: ReadonlyArray<string> } => {
  const msg = message.toLowerCase()
  let total = 0
  const reasons: Array<string> = []
  if (JAILBREAK_PATTERNS.some((p) => msg.includes(p))) {
    total += 0.8
    reasons.push("jailbreak_pattern")
  }
  if (DANGEROUS_TOKEN.test(msg)) {
    total += 0.5
    reasons.push("shell_injection_char")
  }
  if (codePointLength(message) > 2000) {
    total += 0.3
    reasons.push("excessive_length")
  }
  return { score: Math.min(total, 1), reasons }
}

export interface GuardContext {
  readonly trust: string
  /**
   * The intent when the sub-command already says it (`/chat run` is a run request whatever its
   * words); otherwise it is classified from the message.
   */
  readonly intent?: Intent | undefined
}

export interface GuardOptions {
  readonly mode?: GuardMode | undefined
  readonly riskThreshold?: number | undefined
}

export const evaluateRequest = (message: string, context: GuardContext, options: GuardOptions = {}): GuardDecision => {
  const mode = options.mode ?? "enforce"
  const threshold = options.riskThreshold ?? DEFAULT_RISK_THRESHOLD
  const intent = context.intent ?? classify(message)
  if (mode === "off") {
    return {
      action: "allow", riskScore: 0, reason: "guard_off", code: "semantic_guard_off", severity: "info",
      intent, riskReasons: [], trust: context.trust
    }
  }
  const risk = score(message)
  const joined = risk.reasons.length > 0 ? risk.reasons.join(", ") : "none"
  let decision: Pick<GuardDecision, "action" | "reason" | "code" | "severity"> = {
    action: "allow", reason: "safe", code: "semantic_allow", severity: "info"
  }
  if (risk.score >= threshold) {
    decision = { action: "deny", reason: `risk_threshold_exceeded: ${joined}`, code: "semantic_risk_high", severity: "high" }
  } else if (risk.score >= 0.4) {
    decision = intent === "run"
      ? { action: "force_approval", reason: `risk_elevated: ${joined}`, code: "semantic_risk_medium_force_approval", severity: "medium" }
      : {
        action: "safe_reply_only",
        reason: `risk_elevated_safety_enforced: ${joined}`,
        code: "semantic_risk_medium_safe_reply",
        severity: "medium"
      }
  }
  const base = { riskScore: risk.score, intent, riskReasons: risk.reasons, trust: context.trust }
  if (mode === "audit") {
    return {
      ...base, action: "allow", reason: `audit_mode_(${decision.reason})`, code: "semantic_audit_observe", severity: "info",
      wouldAction: decision.action
    }
  }
  return { ...base, ...decision }
}

/** `[code=…, severity=…, action=…, reason=…]`. */
export const policyKV = (contract: PolicyContract): string =>
  `[code=${contract.code}, severity=${contract.severity}, action=${contract.action}, reason=${contract.reason}]`

/**
 * The command an answer suggests: the content of its first fenced block (any tag), trimmed, or
 * the whole answer trimmed when it has no block. Used by the guard and by `/chat run` alike.
 */
export const extractCommandCandidate = (text: string): string => {
  const match = CODE_BLOCK.exec(text)
  return (match !== null ? match[1]! : text).trim()
}

/** Remove every fenced block and every slash-command line from an answer. */
export const sanitizeSafeReply = (text: string): string =>
  text.replace(CODE_BLOCKS, REMOVED).replace(COMMAND_LINE, REMOVED).trim()

export type OutputError = "unclosed_code_block" | "run_output_missing_command"

/** Check an LLM answer's structure; under SAFE_REPLY, strip every command from it. */
export const validateOutput = (
  text: string,
  intent: Intent,
  action: GuardAction,
  options: GuardOptions = {}
): Either.Either<string, OutputError> => {
  if ((options.mode ?? "enforce") === "off") return Either.right(text)
  if ((text.split("```").length - 1) % 2 !== 0) return Either.left("unclosed_code_block")
  if (intent === "run" && extractCommandCandidate(text) === "") return Either.left("run_output_missing_command")
  return Either.right(action === "safe_reply_only" ? sanitizeSafeReply(text) : text)
}
