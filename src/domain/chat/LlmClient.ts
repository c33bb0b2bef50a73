import { Effect, Either } from "effect"
import { Backend, type BackendError } from "../../ports/Backend.js"

/**
 * The LLM as `/chat` sees it (spec/domain-core.md §11): every call goes through the OpenClaw
 * backend, which holds the provider keys. Stateless: no conversation memory, prompts never logged.
 */
export const LLM_TEMPERATURE = 0.7
export const LLM_MAX_TOKENS = 1024

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Python truthiness of a JSON value (None, false, 0, "", [], {} are false). */
const truthy = (u: unknown): boolean => {
  if (u === null || u === undefined || u === false || u === 0 || u === "") return false
  if (Array.isArray(u)) return u.length > 0
  if (isRecord(u)) return Object.keys(u).length > 0
  return true
}

/** The effective LLM config block of a `GET /openclaw/config` body (`{config: {...}}` or the body itself). */
export const llmConfigOf = (body: unknown): Record<string, unknown> =>
  isRecord(body) && isRecord(body["config"]) ? body["config"] : isRecord(body) ? body : {}

/** Ollama needs no key; an explicit `api_key_configured` flag wins; otherwise any provider counts. */
export const isLlmConfigured = (config: Record<string, unknown>): boolean => {
  const provider = config["provider"]
  if (provider === "ollama") return true
  if ("api_key_configured" in config) return truthy(config["api_key_configured"])
  return truthy(provider)
}

/** Fetch the config and decide; a failed fetch means "not configured" (nothing cached). */
export const llmConfigured: Effect.Effect<boolean, never, Backend> = Effect.gen(function*() {
  const result = yield* Effect.either((yield* Backend).config)
  return Either.isRight(result) && isLlmConfigured(llmConfigOf(result.right))
})

/**
 * What the user sees for a failed LLM call: known causes get a fixed hint, anything else is the
 * backend's error text (which the backend adapter bounds and strips of URLs and tokens).
 */
export const llmErrorText = (error: BackendError): string => {
  const bodyError = isRecord(error.body) ? error.body["error"] : undefined
  if (truthy(bodyError) && typeof bodyError !== "string") return "[LLM Error] Request failed. Please check logs."
  const message = error.message === "" ? "Request failed" : error.message
  const lower = message.toLowerCase()
  if (message.includes("401") || lower.includes("unauthorized")) {
    return "[LLM Error] API Key Invalid or Missing. Please check Settings."
  }
  if (message.includes("429") || lower.includes("quota")) return "[LLM Error] Rate Limit / Quota Exceeded. Please try again later."
  if (message.includes("503") || lower.includes("overloaded")) return "[LLM Error] Service Overloaded. Please try again later."
  return `[LLM Error] ${message}`
}

/** An LLM answer, or the error text to show instead (never mistaken for an answer). */
export type LlmReply =
  | { readonly _tag: "Answer"; readonly text: string }
  | { readonly _tag: "Failed"; readonly text: string }

export const askLlm = (system: string, userMessage: string): Effect.Effect<LlmReply, never, Backend> =>
  Effect.gen(function*() {
    const backend = yield* Backend
    const result = yield* Effect.either(backend.chatLlm({
      system,
      userMessage,
      temperature: LLM_TEMPERATURE,
      maxTokens: LLM_MAX_TOKENS
    }))
    if (Either.isLeft(result)) return { _tag: "Failed", text: llmErrorText(result.left) } as const
    const text = isRecord(result.right) ? result.right["text"] : undefined
    return { _tag: "Answer", text: typeof text === "string" && text !== "" ? text : "[No response]" } as const
  })
