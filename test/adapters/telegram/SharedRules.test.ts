import { readFileSync } from "node:fs"
import { DiscordAPIError } from "discord.js"
import { HttpError } from "grammy"
import { describe, expect, it } from "vitest"
import { discordDeliveryErrorOf } from "../../../src/adapters/discord/DeliveryRules.js"
import { classifyFailure } from "../../../src/adapters/telegram/TelegramApi.js"
import { uploadFilename } from "../../../src/adapters/http/UploadFilename.js"

/**
 * Rules Telegram and Discord share with the other platforms: one list of "never sent" network
 * failures (PlatformApi.ts `isNeverSent`), one JSON reader for answers, and the upload-filename
 * sanitiser. The source checks keep a second copy from creeping back in.
 */

const source = (path: string) => readFileSync(new URL(`../../../src/adapters/${path}`, import.meta.url), "utf8")
const ADAPTER_FILES = [
  "telegram/TelegramApi.ts",
  "telegram/DeliveryUpload.ts",
  "discord/DeliveryRules.ts",
  "discord/DiscordRest.ts",
  "discord/Delivery.ts"
]

describe("shared network-failure rule (isNeverSent)", () => {
  it("no adapter keeps its own list of never-sent error codes", () => {
    for (const file of ADAPTER_FILES) {
      expect(source(file), file).not.toMatch(/NEVER_SENT|"ECONNREFUSED"/)
    }
  })

  const refused = (nested: boolean) =>
    nested
      ? Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) })
      : Object.assign(new Error("connect"), { code: "ENOTFOUND" })
  const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })

  it("Telegram: a refused connection (own or nested code) never left; a reset may have", () => {
    for (const nested of [false, true]) {
      expect(classifyFailure("sendMessage", new HttpError("x", refused(nested)))).toMatchObject({ reason: "unreachable", neverSent: true })
    }
    expect(classifyFailure("sendMessage", new HttpError("x", reset))).toMatchObject({ reason: "unreachable", neverSent: false })
  })

  it("Discord: a refused connection is unavailable (retry later); a reset is an unknown outcome", () => {
    for (const nested of [false, true]) expect(discordDeliveryErrorOf(refused(nested)).reason).toBe("unavailable")
    expect(discordDeliveryErrorOf(reset).reason).toBe("unknown-outcome")
    const apiError = new DiscordAPIError({ message: "Missing Access", code: 50001 }, 50001, 403, "POST", "https://x/api", {})
    expect(discordDeliveryErrorOf(apiError).reason).toBe("rejected")
  })
})

describe("shared upload filename (Telegram uploads, Discord attachments)", () => {
  it("keeps the last path segment without control characters or quotes, bounded, with a fallback", () => {
    expect(uploadFilename("ComfyUI_00042_.png", "image.png")).toBe("ComfyUI_00042_.png")
    expect(uploadFilename("out/sub\\dir/a\"b\u0000c\r\n.jpg", "image.png")).toBe("abc.jpg")
    expect(uploadFilename("dir/", "file")).toBe("file")
    expect(uploadFilename(" \u0007 ", "image.png")).toBe("image.png")
    expect(uploadFilename("x".repeat(500), "file")).toHaveLength(200)
  })

  it("Telegram and Discord uploads use it; Telegram reads answers with the shared jsonOrUndefined", () => {
    const upload = source("telegram/DeliveryUpload.ts")
    expect(upload).toMatch(/import \{ uploadFilename \} from "\.\.\/http\/UploadFilename\.js"/)
    expect(source("discord/Delivery.ts")).toMatch(/import \{ uploadFilename \} from "\.\.\/http\/UploadFilename\.js"/)
    expect(upload).toMatch(/jsonOrUndefined\(/)
    expect(upload).not.toContain("JSON.parse")
    expect(upload).not.toContain("\\u0000-\\u001f")
  })
})
