import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { settingsLayer, toCoreSettings } from "../../../src/adapters/config/CoreSettings.js"
import { defaultCoreSettings } from "../../../src/domain/model/Settings.js"
import { Settings } from "../../../src/ports/Settings.js"
import { C, load } from "./env.js"

describe("toCoreSettings", () => {
  it("matches the core's defaults for an empty environment (with every platform's empty trust lists)", () => {
    const settings = toCoreSettings(load({}).config)
    const empty = { users: [], chats: [] }
    expect(settings).toEqual({
      ...defaultCoreSettings,
      trust: {
        telegram: empty, discord: empty, line: empty, whatsapp: empty, wechat: empty, kakao: empty, slack: empty, feishu: empty
      }
    })
  })

  it("maps every trust list, the policy and the admin-token flag", () => {
    const { config } = load({
      [`${C}ADMIN_USERS`]: "a1, telegram:5",
      [`${C}ADMIN_TOKEN`]: "tok",
      [`${C}TELEGRAM_ALLOWED_USERS`]: "1", [`${C}TELEGRAM_ALLOWED_CHATS`]: "-2",
      [`${C}DISCORD_ALLOWED_USERS`]: "du", [`${C}DISCORD_ALLOWED_CHANNELS`]: "dc",
      [`${C}LINE_ALLOWED_USERS`]: "lu", [`${C}LINE_ALLOWED_GROUPS`]: "lg",
      [`${C}WHATSAPP_ALLOWED_USERS`]: "wu", [`${C}WECHAT_ALLOWED_USERS`]: "xu", [`${C}KAKAO_ALLOWED_USERS`]: "ku",
      [`${C}SLACK_ALLOWED_USERS`]: "su", [`${C}SLACK_ALLOWED_CHANNELS`]: "sc",
      [`${C}FEISHU_ALLOWED_USERS`]: "fu", [`${C}FEISHU_ALLOWED_CHATS`]: "fc",
      OPENCLAW_COMMAND_OVERRIDES: JSON.stringify({ cancel: "public" }),
      OPENCLAW_COMMAND_ALLOW_FROM_RUN: "r1",
      [`${C}RATE_LIMIT_USER_RPM`]: "20", [`${C}RATE_LIMIT_CHANNEL_RPM`]: "40", [`${C}MAX_COMMAND_LENGTH`]: "1000",
      [`${C}CHAT_TRUSTED_ONLY`]: "true"
    })
    expect(toCoreSettings(config)).toEqual({
      adminUsers: ["a1", "telegram:5"],
      trust: {
        telegram: { users: ["1"], chats: ["-2"] },
        discord: { users: ["du"], chats: ["dc"] },
        line: { users: ["lu"], chats: ["lg"] },
        whatsapp: { users: ["wu"], chats: [] },
        wechat: { users: ["xu"], chats: [] },
        kakao: { users: ["ku"], chats: [] },
        slack: { users: ["su"], chats: ["sc"] },
        feishu: { users: ["fu"], chats: ["fc"] }
      },
      commandOverrides: new Map([["/interrupt", "public"]]),
      allowFrom: { run: ["r1"] },
      adminTokenConfigured: true,
      rateLimitUserRpm: 20,
      rateLimitChannelRpm: 40,
      maxCommandLength: 1000,
      chatTrustedOnly: true
    })
  })

  it.effect("settingsLayer provides the Settings port", () =>
    Effect.gen(function*() {
      const settings = yield* Settings
      expect(settings.adminUsers).toEqual(["boss"])
    }).pipe(Effect.provide(settingsLayer(load({ [`${C}ADMIN_USERS`]: "boss" }).config))))
})
