import { Effect, Layer } from "effect"
import { Backend, BackendError, type LlmChatRequest } from "../../../../src/ports/Backend.js"
import { Settings } from "../../../../src/ports/Settings.js"
import { defaultCoreSettings } from "../../../../src/domain/model/Settings.js"

export interface ChatCalls {
  config: number
  health: number
  promptQueue: number
  llm: Array<LlmChatRequest>
}

export interface ChatBackendOptions {
  readonly config?: Effect.Effect<unknown, BackendError>
  /** The LLM's answers, one per call (the last one repeats). */
  readonly answers?: ReadonlyArray<Effect.Effect<unknown, BackendError>>
  readonly health?: Effect.Effect<unknown, BackendError>
  readonly promptQueue?: Effect.Effect<unknown, BackendError>
  readonly chatTrustedOnly?: boolean
}

/**
 * A recording fake of the backend calls `/chat` may make; any other call (notably `jobs`) dies.
 * Also provides Settings.
 */
export const chatBackend = (options: ChatBackendOptions = {}) => {
  const calls: ChatCalls = { config: 0, health: 0, promptQueue: 0, llm: [] }
  const answers = options.answers ?? [Effect.succeed({ ok: true, text: "LLM says hi" })]
  const backend = Layer.mock(Backend, {
    config: Effect.suspend(() => {
      calls.config++
      return options.config ?? Effect.succeed({ ok: true, config: { provider: "openai", model: "gpt-4o-mini" } })
    }),
    chatLlm: (request) =>
      Effect.suspend(() => {
        calls.llm.push(request)
        return answers[Math.min(calls.llm.length - 1, answers.length - 1)]!
      }),
    health: Effect.suspend(() => {
      calls.health++
      return options.health ?? Effect.succeed({ ok: true, stats: { logs_processed: 3 } })
    }),
    promptQueue: Effect.suspend(() => {
      calls.promptQueue++
      return options.promptQueue ?? Effect.succeed({ exec_info: { queue_remaining: 2 } })
    })
  })
  const settings = Layer.succeed(Settings, { ...defaultCoreSettings, chatTrustedOnly: options.chatTrustedOnly ?? false })
  return { calls, layer: Layer.merge(backend, settings) }
}

export const answer = (text: string) => Effect.succeed({ ok: true, tenant_id: "default", text })
export const llmFailure = (message: string, status = 500) =>
  Effect.fail(new BackendError({ reason: "rejected", status, message, body: { ok: false, error: message } }))
