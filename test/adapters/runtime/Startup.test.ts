import { Effect, Logger, LogLevel } from "effect"
import { describe, expect, it } from "vitest"
import { levelOf } from "../../../src/adapters/runtime/Logging.js"
import { unservedPlatforms, warnUnserved } from "../../../src/adapters/runtime/Startup.js"

describe("startup notes", () => {
  it("names every configured platform this build does not serve, and never Kakao", () => {
    expect(unservedPlatforms({ telegram: true, kakao: true, slack: true, line: true, discord: true, feishu: true })).toEqual(["feishu"])
    expect(unservedPlatforms({ kakao: true })).toEqual([])
  })

  it("logs one warning per unserved platform", async () => {
    const lines: Array<string> = []
    const capture = Logger.make(({ logLevel, message }) => lines.push(`${logLevel.label} ${String(message)}`))
    await Effect.runPromise(warnUnserved(["telegram"]).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture))))
    expect(lines).toEqual([
      "WARN telegram is configured, but this build does not include the telegram adapter yet: its messages are not handled."
    ])
  })

  it("maps log level names, defaulting to info", () => {
    expect(levelOf("Warning")).toBe(LogLevel.Warning)
    expect(levelOf(" debug ")).toBe(LogLevel.Debug)
    expect(levelOf("nonsense")).toBe(LogLevel.Info)
  })
})
