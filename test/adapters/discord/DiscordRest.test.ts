import { describe, expect, it } from "@effect/vitest"
import { DiscordAPIError, HTTPError } from "discord.js"
import { classifySendError } from "../../../src/adapters/discord/DiscordRest.js"

const URL_WITH_TOKEN = "https://discord.com/api/v10/webhooks/1/secret-interaction-token?wait=true"
const apiError = (status: number, code: number) =>
  new DiscordAPIError({ message: "Missing Permissions", code }, code, status, "POST", URL_WITH_TOKEN, {})

describe("classifySendError", () => {
  it("401 is unauthorized, other 4xx rejected (not retried), 5xx and network failures unreachable", () => {
    expect(classifySendError(apiError(401, 0))).toMatchObject({ reason: "unauthorized", detail: "HTTP 401, Discord code 0" })
    expect(classifySendError(apiError(403, 50013))).toMatchObject({ reason: "rejected", detail: "HTTP 403, Discord code 50013" })
    expect(classifySendError(apiError(502, 0)).reason).toBe("unreachable")
    expect(classifySendError(new HTTPError(503, "Service Unavailable", "POST", URL_WITH_TOKEN, {})))
      .toMatchObject({ reason: "unreachable", detail: "HTTP 503" })
    const refused = Object.assign(new Error(`connect ECONNREFUSED ${URL_WITH_TOKEN}`), { code: "ECONNREFUSED" })
    expect(classifySendError(refused)).toMatchObject({ reason: "unreachable", detail: "Error ECONNREFUSED (never sent)" })
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
    expect(classifySendError(reset)).toMatchObject({ reason: "unreachable", detail: "Error ECONNRESET" })
    expect(classifySendError("weird")).toMatchObject({ reason: "unreachable", detail: "non-error" })
  })

  it("never carries the URL (interaction URLs hold tokens)", () => {
    for (const e of [apiError(404, 10003), new HTTPError(500, "x", "POST", URL_WITH_TOKEN, {}), new Error(URL_WITH_TOKEN)]) {
      expect(classifySendError(e).detail).not.toContain("secret-interaction-token")
      expect(classifySendError(e).message).not.toContain("secret-interaction-token")
    }
  })
})
