import { describe, expect, it } from "@effect/vitest"
import { Option, Redacted } from "effect"
import { C, load, loadError } from "./env.js"

describe("Telegram", () => {
  it("starts with a token, in polling mode unless told otherwise", () => {
    const { config } = load({ [`${C}TELEGRAM_TOKEN`]: "123:abc" })
    expect(config.telegram).toMatchObject({ enabled: true, mode: "polling" })
    const webhook = load({ [`${C}TELEGRAM_TOKEN`]: "t", [`${C}TELEGRAM_MODE`]: " Webhook ", [`${C}TELEGRAM_WEBHOOK_SECRET`]: "s3cr_et-1" })
    expect(webhook.config.telegram.mode).toBe("webhook")
    expect(webhook.config.telegram.webhook).toMatchObject({ bind: "127.0.0.1", port: 8092, path: "/telegram/webhook" })
  })

  it("webhook mode refuses to start without a valid secret token, naming the variable", () => {
    const base = { [`${C}TELEGRAM_TOKEN`]: "t", [`${C}TELEGRAM_MODE`]: "webhook" }
    expect(loadError(base).variable).toBe(`${C}TELEGRAM_WEBHOOK_SECRET`)
    for (const bad of ["has space", "x".repeat(257), "ünï"]) {
      const error = loadError({ ...base, [`${C}TELEGRAM_WEBHOOK_SECRET`]: bad })
      expect(error.variable).toBe(`${C}TELEGRAM_WEBHOOK_SECRET`)
      expect(error.message).not.toContain(bad)
    }
    expect(load({ ...base, [`${C}TELEGRAM_WEBHOOK_SECRET`]: "ok", [`${C}TELEGRAM_WEBHOOK_URL`]: "https://bot.example/tg" })
      .config.telegram.webhook.publicUrl).toEqual(Option.some("https://bot.example/tg"))
  })

  it("parses integer ids (signed, canonical) for users and chats", () => {
    const { config } = load({
      [`${C}TELEGRAM_ALLOWED_USERS`]: "123, 0456,telegram:789",
      [`${C}TELEGRAM_ALLOWED_CHATS`]: "-100123, 200"
    })
    expect(config.telegram.allowedUsers).toEqual(["123", "456", "789"])
    expect(config.telegram.allowedChats).toEqual(["-100123", "200"])
  })

  it.each([
    ["TELEGRAM_ALLOWED_USERS", "123, 456, abc "],
    ["TELEGRAM_ALLOWED_CHATS", "--5"],
    ["TELEGRAM_ALLOWED_CHATS", "\u0661\u0662"],
    ["TELEGRAM_ALLOWED_USERS", "12.0"]
  ])("stops startup on a non-integer id in %s (%j)", (name, raw) => {
    const error = loadError({ [`${C}${name}`]: raw })
    expect(error.variable).toBe(`${C}${name}`)
    expect(error.message).toContain("is not an integer Telegram id")
  })

  it("refuses an unknown mode, naming the variable", () => {
    expect(loadError({ [`${C}TELEGRAM_MODE`]: "push" }).variable).toBe(`${C}TELEGRAM_MODE`)
  })

  it("validates its API root", () => {
    expect(load({ [`${C}TELEGRAM_API_ROOT`]: "http://127.0.0.1:8081" }).config.telegram.apiRoot).toBe("http://127.0.0.1:8081")
    expect(loadError({ [`${C}TELEGRAM_API_ROOT`]: "api.telegram.org" }).variable).toBe(`${C}TELEGRAM_API_ROOT`)
  })
})

describe("Discord", () => {
  it("starts with a token and reads its lists", () => {
    const { config } = load({ [`${C}DISCORD_TOKEN`]: "d", [`${C}DISCORD_ALLOWED_USERS`]: "u1,u2,,", [`${C}DISCORD_ALLOWED_CHANNELS`]: "c1" })
    expect(config.discord).toMatchObject({ enabled: true, allowedUsers: ["u1", "u2"], allowedChannels: ["c1"] })
  })
})

describe("LINE", () => {
  it("needs both the channel secret and the access token", () => {
    expect(load({ [`${C}LINE_CHANNEL_SECRET`]: "s", [`${C}LINE_CHANNEL_ACCESS_TOKEN`]: "t" }).config.line.enabled).toBe(true)
    const half = load({ [`${C}LINE_CHANNEL_SECRET`]: "s" })
    expect(half.config.line.enabled).toBe(false)
    expect(half.warnings).toContain(`LINE configured but Access Token missing (${C}LINE_CHANNEL_ACCESS_TOKEN). Skipping.`)
  })

  it("reads bind, port, path and groups", () => {
    const { config } = load({
      [`${C}LINE_BIND`]: "0.0.0.0", [`${C}LINE_PORT`]: "9000", [`${C}LINE_PATH`]: "/hooks/line", [`${C}LINE_ALLOWED_GROUPS`]: "G1"
    })
    expect(config.line).toMatchObject({ bind: "0.0.0.0", port: 9000, path: "/hooks/line", allowedGroups: ["G1"] })
    expect(loadError({ [`${C}LINE_PATH`]: "hooks" }).variable).toBe(`${C}LINE_PATH`)
  })
})

describe("WhatsApp", () => {
  it("needs the access and verify tokens, and warns when the app secret is missing", () => {
    const on = load({ [`${C}WHATSAPP_ACCESS_TOKEN`]: "a", [`${C}WHATSAPP_VERIFY_TOKEN`]: "v" })
    expect(on.config.whatsapp.enabled).toBe(true)
    expect(on.warnings).toContain(
      `WhatsApp App Secret missing (${C}WHATSAPP_APP_SECRET): every webhook POST will be refused.`
    )
    const half = load({ [`${C}WHATSAPP_ACCESS_TOKEN`]: "a" })
    expect(half.config.whatsapp.enabled).toBe(false)
    expect(half.warnings).toContain(`WhatsApp configured but Verify Token missing (${C}WHATSAPP_VERIFY_TOKEN). Skipping.`)
  })

  it("reads the phone number id and the graph version", () => {
    const { config } = load({ [`${C}WHATSAPP_PHONE_NUMBER_ID`]: "1555", [`${C}WHATSAPP_GRAPH_VERSION`]: "v21.0" })
    expect(config.whatsapp.phoneNumberId).toEqual(Option.some("1555"))
    expect(config.whatsapp.graphVersion).toBe("v21.0")
    expect(loadError({ [`${C}WHATSAPP_GRAPH_VERSION`]: "../v1" }).variable).toBe(`${C}WHATSAPP_GRAPH_VERSION`)
  })
})

describe("WeChat", () => {
  it("starts with the token", () => {
    const { config } = load({ [`${C}WECHAT_TOKEN`]: "w", [`${C}WECHAT_APP_ID`]: "wx1" })
    expect(config.wechat).toMatchObject({ enabled: true, appId: Option.some("wx1") })
  })
})

describe("Kakao", () => {
  it.each([["true", true], ["TRUE", true], [" yes ", true], ["1", true], ["on", true], ["false", false], ["0", false], ["", false]])(
    "KAKAO_ENABLED=%j -> %s",
    (raw, enabled) => {
      expect(load({ [`${C}KAKAO_ENABLED`]: raw }).config.kakao.enabled).toBe(enabled)
    }
  )

  it("stops startup when KAKAO_ENABLED is not a boolean word", () => {
    const error = loadError({ [`${C}KAKAO_ENABLED`]: "enabled" })
    expect(error.variable).toBe(`${C}KAKAO_ENABLED`)
  })
})

describe("Slack", () => {
  const secrets = { [`${C}SLACK_SIGNING_SECRET`]: "sig" }

  it("starts with the signing secret and the bot token", () => {
    expect(load({ ...secrets, [`${C}SLACK_BOT_TOKEN`]: "xoxb-1" }).config.slack).toMatchObject({ enabled: true, oauthEnabled: false })
  })

  it("starts OAuth-only (no legacy bot token)", () => {
    const { config } = load({ ...secrets, [`${C}SLACK_CLIENT_ID`]: "cid", [`${C}SLACK_CLIENT_SECRET`]: "cs" })
    expect(config.slack).toMatchObject({ enabled: true, oauthEnabled: true, clientId: Option.some("cid") })
  })

  it("stays off without the signing secret, saying so", () => {
    const loaded = load({ [`${C}SLACK_BOT_TOKEN`]: "xoxb-1" })
    expect(loaded.config.slack.enabled).toBe(false)
    expect(loaded.warnings).toContain(`Slack configured but Signing Secret missing (${C}SLACK_SIGNING_SECRET). Skipping.`)
  })

  it("stays off with the signing secret alone", () => {
    const loaded = load(secrets)
    expect(loaded.config.slack.enabled).toBe(false)
    expect(loaded.warnings.some((w) => w.startsWith("Slack adapter disabled: legacy bot token missing"))).toBe(true)
  })

  it("needs an xapp- app token in socket mode", () => {
    const base = { ...secrets, [`${C}SLACK_BOT_TOKEN`]: "xoxb-1", [`${C}SLACK_MODE`]: "SOCKET" }
    const off = load(base)
    expect(off.config.slack).toMatchObject({ enabled: false, mode: "socket" })
    expect(off.warnings).toContain(`Slack Socket Mode needs an app-level token (xapp-...) in ${C}SLACK_APP_TOKEN. Skipping.`)
    expect(load({ ...base, [`${C}SLACK_APP_TOKEN`]: "xoxb-wrong" }).config.slack.enabled).toBe(false)
    expect(load({ ...base, [`${C}SLACK_APP_TOKEN`]: "xapp-1" }).config.slack.enabled).toBe(true)
  })

  it("socket mode starts without a signing secret (the socket is authenticated); events mode does not", () => {
    const socket = { [`${C}SLACK_BOT_TOKEN`]: "xoxb-1", [`${C}SLACK_MODE`]: "socket", [`${C}SLACK_APP_TOKEN`]: "xapp-1" }
    expect(load(socket).config.slack.enabled).toBe(true)
    expect(load({ ...socket, [`${C}SLACK_MODE`]: "events" }).config.slack.enabled).toBe(false)
  })

  it("refuses an unknown mode, naming the variable", () => {
    const error = loadError({ ...secrets, [`${C}SLACK_MODE`]: "rtm" })
    expect(error.variable).toBe(`${C}SLACK_MODE`)
    expect(error.message).toBe(`${C}SLACK_MODE must be one of: 'events', 'socket'.`)
  })

  it("keeps the default scopes when the list yields nothing, and reads switches", () => {
    const { config } = load({
      [`${C}SLACK_OAUTH_SCOPES`]: " , ",
      [`${C}SLACK_REQUIRE_MENTION`]: "FALSE",
      [`${C}SLACK_REPLY_IN_THREAD`]: "no"
    })
    expect(config.slack.oauthScopes).toContain("chat:write")
    expect(config.slack).toMatchObject({ requireMention: false, replyInThread: false })
    expect(load({ [`${C}SLACK_OAUTH_SCOPES`]: "chat:write, commands" }).config.slack.oauthScopes).toEqual(["chat:write", "commands"])
  })

  it("keeps require-mention on for an unrecognised word, with a warning", () => {
    const loaded = load({ [`${C}SLACK_REQUIRE_MENTION`]: "nah" })
    expect(loaded.config.slack.requireMention).toBe(true)
    expect(loaded.warnings).toContain(`Connector env ${C}SLACK_REQUIRE_MENTION is not a boolean word; keeping it on.`)
  })
})

describe("Feishu", () => {
  it("starts with app id and secret, as one binding", () => {
    const { config } = load({
      [`${C}FEISHU_APP_ID`]: "cli_1", [`${C}FEISHU_APP_SECRET`]: "sec", [`${C}FEISHU_VERIFICATION_TOKEN`]: "vt",
      [`${C}FEISHU_DOMAIN`]: " Lark ", [`${C}FEISHU_MODE`]: "WEBHOOK", [`${C}FEISHU_DEFAULT_ACCOUNT_ID`]: "main"
    })
    expect(config.feishu).toMatchObject({ enabled: true, domain: "lark", mode: "webhook", apiRoot: "https://open.larksuite.com" })
    expect(config.feishu.bindings).toHaveLength(1)
    expect(config.feishu.bindings[0]).toMatchObject({
      accountId: "main", appId: "cli_1", tenantId: "default", domain: "lark", mode: "webhook", apiRoot: "https://open.larksuite.com"
    })
    expect(Redacted.value(config.feishu.bindings[0]!.appSecret)).toBe("sec")
  })

  it("warns when the app secret is missing and when a binding has no verification token", () => {
    expect(load({ [`${C}FEISHU_APP_ID`]: "cli_1" }).warnings)
      .toContain(`Feishu configured but App Secret missing (${C}FEISHU_APP_SECRET). Skipping.`)
    const noToken = load({ [`${C}FEISHU_APP_ID`]: "cli_1", [`${C}FEISHU_APP_SECRET`]: "s" })
    expect(noToken.warnings.some((w) => w.startsWith("Feishu account cli_1 has no verification token"))).toBe(true)
  })

  it("reads a bindings manifest, with env defaults for domain, mode and account id", () => {
    const manifest = [
      { app_id: "a1", app_secret: "s1", account_id: "one", verification_token: "v1", tenant_id: "Team-A" },
      { app_id: "a2", app_secret: "s2", domain: "feishu", mode: "websocket", verification_token: "v2" }
    ]
    const { config } = load({
      [`${C}FEISHU_BINDINGS_JSON`]: JSON.stringify(manifest), [`${C}FEISHU_DOMAIN`]: "lark", [`${C}FEISHU_MODE`]: "webhook",
      [`${C}FEISHU_APP_ID`]: "ignored", [`${C}FEISHU_APP_SECRET`]: "ignored"
    })
    expect(config.feishu.enabled).toBe(true)
    expect(config.feishu.bindings.map((b) => [b.accountId, b.appId, b.tenantId, b.domain, b.mode])).toEqual([
      ["one", "a1", "team-a", "lark", "webhook"],
      ["a2", "a2", "default", "feishu", "websocket"]
    ])
  })

  it.each([
    ["not JSON", "{oops"],
    ["an empty list", "[]"],
    ["an object", "{\"app_id\":\"a\"}"],
    ["a non-object item", "[1]"],
    ["no app_id", JSON.stringify([{ app_secret: "s" }])],
    ["no app_secret", JSON.stringify([{ app_id: "a" }])],
    ["a non-string field", JSON.stringify([{ app_id: "a", app_secret: 5 }])],
    ["a bad tenant", JSON.stringify([{ app_id: "a", app_secret: "s", tenant_id: "no spaces" }])],
    ["a bad domain", JSON.stringify([{ app_id: "a", app_secret: "s", domain: "example.com" }])],
    ["a bad mode", JSON.stringify([{ app_id: "a", app_secret: "s", mode: "poll" }])],
    ["duplicate accounts", JSON.stringify([{ app_id: "a", app_secret: "s" }, { app_id: "b", app_secret: "t", account_id: "a" }])]
  ])("stops startup on a manifest with %s", (_, raw) => {
    const error = loadError({ [`${C}FEISHU_BINDINGS_JSON`]: raw })
    expect(error.variable).toBe(`${C}FEISHU_BINDINGS_JSON`)
  })

  it.each([["FEISHU_MODE", "socket"], ["FEISHU_DOMAIN", "example"]])("refuses %s=%j", (name, raw) => {
    expect(loadError({ [`${C}${name}`]: raw }).variable).toBe(`${C}${name}`)
  })
})
