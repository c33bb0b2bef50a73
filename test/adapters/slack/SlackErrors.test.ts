import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { AUTH_ERRORS, kindOfCode, safeCode, sdkFailureOf } from "../../../src/adapters/slack/SlackErrors.js"
import { refusalOf } from "../../../src/adapters/slack/SocketModeClient.js"

/** The one table of Slack error facts that the Web API client, OAuth and Socket Mode read. */
const platform = (error: unknown) => ({ code: "slack_webapi_platform_error", data: { ok: false, error } })

describe("Slack error facts", () => {
  it("codes: refused tokens, rate limits, Slack's own trouble, everything else rejected", () => {
    for (const code of AUTH_ERRORS) expect([code, kindOfCode(code)]).toEqual([code, "auth-invalid"])
    expect(kindOfCode("ratelimited")).toBe("rate-limited")
    expect(kindOfCode("internal_error")).toBe("unreachable")
    expect(kindOfCode("channel_not_found")).toBe("rejected")
  })

  it("SDK failures are read without trusting their shape", () => {
    expect(sdkFailureOf(platform("token_revoked"))).toEqual({ _tag: "Platform", code: "token_revoked", kind: "auth-invalid" })
    expect(sdkFailureOf({ code: "slack_webapi_http_error", statusCode: 503 })).toEqual({ _tag: "Http", status: 503 })
    expect(sdkFailureOf({ code: "slack_webapi_http_error" })).toEqual({ _tag: "Http", status: 0 })
    expect(sdkFailureOf({ code: "slack_webapi_request_error" })).toEqual({ _tag: "Unreachable" })
    expect(sdkFailureOf(new Error("A rate limit was exceeded (url: x)"))).toEqual({ _tag: "RateLimited" })
    for (const odd of [null, undefined, "x", 42, {}]) expect(sdkFailureOf(odd)).toEqual({ _tag: "Unexpected" })
  })

  it.prop("a code that is not a plain Slack word never reaches a log", [fc.string({ maxLength: 80 })], ([text]) => {
    const code = safeCode(text)
    const failure = sdkFailureOf(platform(text))
    return (code === text || code === "unrecognised") && /^[a-z0-9_.]{1,64}$/.test(code) &&
      failure._tag === "Platform" && failure.code === code && refusalOf(platform(text)).detail.endsWith(code)
  })
})
