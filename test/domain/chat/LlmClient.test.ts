import { describe, expect, it } from "@effect/vitest"
import { isLlmConfigured, llmConfigOf, llmErrorText } from "../../../src/domain/chat/LlmClient.js"
import { BackendError } from "../../../src/ports/Backend.js"

const err = (message: string, body?: unknown) => new BackendError({ reason: "rejected", status: 500, message, body })

describe("LLM configuration", () => {
  it("reads the config block, or the body itself when there is none", () => {
    expect(llmConfigOf({ ok: true, config: { provider: "openai" } })).toEqual({ provider: "openai" })
    expect(llmConfigOf({ provider: "gemini" })).toEqual({ provider: "gemini" })
    expect(llmConfigOf({ config: "x", provider: "p" })).toEqual({ config: "x", provider: "p" })
    expect(llmConfigOf([1])).toEqual({})
    expect(llmConfigOf(null)).toEqual({})
  })

  it("is configured for ollama, by the explicit flag, or by any provider", () => {
    expect(isLlmConfigured({ provider: "ollama", api_key_configured: false })).toBe(true)
    expect(isLlmConfigured({ provider: null, api_key_configured: false })).toBe(false)
    expect(isLlmConfigured({ provider: "openai", api_key_configured: false })).toBe(false)
    expect(isLlmConfigured({ provider: "", api_key_configured: true })).toBe(true)
    expect(isLlmConfigured({ provider: "openai" })).toBe(true)
    expect(isLlmConfigured({ provider: "" })).toBe(false)
    expect(isLlmConfigured({})).toBe(false)
  })
})

describe("llmErrorText", () => {
  it("maps known causes to fixed hints and echoes anything else", () => {
    expect(llmErrorText(err("HTTP 401: Unauthorized"))).toBe("[LLM Error] API Key Invalid or Missing. Please check Settings.")
    expect(llmErrorText(err("openai HTTP 403: UNAUTHORIZED key"))).toBe("[LLM Error] API Key Invalid or Missing. Please check Settings.")
    expect(llmErrorText(err("HTTP 429: Too Many Requests"))).toBe("[LLM Error] Rate Limit / Quota Exceeded. Please try again later.")
    expect(llmErrorText(err("Quota gone"))).toBe("[LLM Error] Rate Limit / Quota Exceeded. Please try again later.")
    expect(llmErrorText(err("HTTP 503"))).toBe("[LLM Error] Service Overloaded. Please try again later.")
    expect(llmErrorText(err("model Overloaded"))).toBe("[LLM Error] Service Overloaded. Please try again later.")
    expect(llmErrorText(err("Something went wrong"))).toBe("[LLM Error] Something went wrong")
    expect(llmErrorText(err("llm_request_failed"))).toBe("[LLM Error] llm_request_failed")
    expect(llmErrorText(err(""))).toBe("[LLM Error] Request failed")
  })

  it("a non-string error body is reported as a failed request", () => {
    expect(llmErrorText(err("x", { error: { code: 1 } }))).toBe("[LLM Error] Request failed. Please check logs.")
    expect(llmErrorText(err("x", { error: 7 }))).toBe("[LLM Error] Request failed. Please check logs.")
    expect(llmErrorText(err("HTTP 500", { error: null }))).toBe("[LLM Error] HTTP 500")
  })
})
