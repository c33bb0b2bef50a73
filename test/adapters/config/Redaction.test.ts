import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Option, Redacted } from "effect"
import { C, load, loadError } from "./env.js"

const SECRET_VARS = [
  "ADMIN_TOKEN", "SECRET_KEY", "TELEGRAM_TOKEN", "DISCORD_TOKEN", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN",
  "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET", "WECHAT_TOKEN", "WECHAT_APP_SECRET",
  "WECHAT_ENCODING_AES_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_SECRET",
  "FEISHU_APP_SECRET", "FEISHU_VERIFICATION_TOKEN", "FEISHU_ENCRYPT_KEY"
]

const secretValue = (name: string) => `zz-${name.toLowerCase().replaceAll("_", "-")}-9f8e7d`

describe("secrets never appear in the typed config or the notes", () => {
  const env: Record<string, string> = Object.fromEntries(SECRET_VARS.map((name) => [`${C}${name}`, secretValue(name)]))
  env[`${C}SLACK_APP_TOKEN`] = `xapp-${secretValue("SLACK_APP_TOKEN")}`
  env[`${C}DATABASE_URL`] = "postgres://oc:zz-database-pw-9f8e7d@db/oc"
  env[`${C}FEISHU_BINDINGS_JSON`] = JSON.stringify([
    { app_id: "a1", app_secret: "zz-manifest-secret-9f8e7d", verification_token: "zz-manifest-token-9f8e7d" }
  ])
  const loaded = load(env)
  const renderings = [
    JSON.stringify(loaded.config),
    String(loaded.config),
    inspect(loaded.config, { depth: Infinity }),
    `${loaded.config.backend.adminToken}`,
    ...loaded.warnings,
    ...loaded.info
  ]

  it("keeps every secret readable through Redacted", () => {
    expect(Option.map(loaded.config.telegram.token, Redacted.value)).toEqual(Option.some(secretValue("TELEGRAM_TOKEN")))
    expect(Option.map(loaded.config.databaseUrl, Redacted.value)).toEqual(Option.some(env[`${C}DATABASE_URL`]))
    expect(Redacted.value(loaded.config.feishu.bindings[0]!.appSecret)).toBe("zz-manifest-secret-9f8e7d")
  })

  it("prints none of them", () => {
    expect(renderings[0]).toContain("<redacted>")
    expect(renderings[2]).toContain("<redacted>")
    for (const text of renderings) {
      expect(text).not.toMatch(/zz-[a-z-]+-9f8e7d/)
    }
  })
})

describe("startup errors never quote a secret", () => {
  it.each([
    ["a manifest that is not JSON", { [`${C}FEISHU_BINDINGS_JSON`]: "[{\"app_secret\": \"zz-leak-9f8e7d\"" }],
    ["a manifest item without app_id", { [`${C}FEISHU_BINDINGS_JSON`]: JSON.stringify([{ app_secret: "zz-leak-9f8e7d" }]) }],
    ["a database URL with the wrong scheme", { [`${C}DATABASE_URL`]: "mysql://u:zz-leak-9f8e7d@h/d" }],
    ["a backend URL that does not parse", { [`${C}URL`]: "http://u:zz-leak-9f8e7d@ bad host" }]
  ])("%s", (_, env) => {
    const error = loadError(env)
    for (const text of [error.message, JSON.stringify(error), String(error), inspect(error)]) {
      expect(text).not.toContain("zz-leak-9f8e7d")
    }
  })
})
