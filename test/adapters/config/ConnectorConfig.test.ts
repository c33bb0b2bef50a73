import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { DEFAULT_SLACK_SCOPES } from "../../../src/adapters/config/Slack.js"
import { resolveStateDir } from "../../../src/adapters/config/ConnectorConfig.js"
import { C, load, loadError } from "./env.js"

describe("defaults", () => {
  it("match the reference with nothing set", () => {
    const { config } = load({})
    expect(config.backend.url).toBe("http://127.0.0.1:8188")
    expect(Option.isNone(config.backend.adminToken)).toBe(true)
    expect(config.debug).toBe(false)
    expect(config.logLevel).toBe("Info")
    expect(config.stateDir).toBe(path.resolve("data"))
    expect(Option.isNone(config.databaseUrl)).toBe(true)
    expect(Option.isNone(config.secretKey)).toBe(true)
    expect(config.operator).toEqual({ bind: "127.0.0.1", port: 8093 })
    expect(config.delivery).toEqual({ maxImages: 4, maxBytes: 10485760, timeoutSec: 600 })
    expect(config.media).toEqual({
      publicBaseUrl: Option.none(), path: "/media", ttlSec: 300, maxMb: 8, dir: path.resolve("data", "media")
    })
    expect(config.policy).toEqual({
      adminUsers: [], commandOverrides: new Map(), allowFrom: {}, rateLimitUserRpm: 10, rateLimitChannelRpm: 30,
      maxCommandLength: 4096, chatTrustedOnly: false
    })
    expect(config.profile).toEqual({ deploymentProfile: "", runtimeProfile: "", strict: false })
    expect(config.tenancy).toEqual({ multiTenantEnabled: false, allowDefaultFallback: false, tenantHeader: "X-OpenClaw-Tenant-Id" })
  })

  it("leave every platform off, with its webhook defaults and API root", () => {
    const { config } = load({})
    expect([config.telegram, config.discord, config.line, config.whatsapp, config.wechat, config.kakao, config.slack, config.feishu]
      .map((p) => p.enabled)).toEqual([false, false, false, false, false, false, false, false])
    expect(config.telegram).toMatchObject({ mode: "polling", apiRoot: "https://api.telegram.org", allowedUsers: [], allowedChats: [] })
    expect(config.discord.apiRoot).toBe("https://discord.com/api")
    expect(config.line).toMatchObject({ bind: "127.0.0.1", port: 8099, path: "/line/webhook", apiRoot: "https://api.line.me" })
    expect(config.whatsapp).toMatchObject({
      bind: "127.0.0.1", port: 8098, path: "/whatsapp/webhook", apiRoot: "https://graph.facebook.com", graphVersion: "v19.0"
    })
    expect(config.wechat).toMatchObject({ port: 8097, path: "/wechat/webhook", apiRoot: "https://api.weixin.qq.com" })
    expect(config.kakao).toEqual({ enabled: false, bind: "127.0.0.1", port: 8096, path: "/kakao/webhook", allowedUsers: [] })
    expect(config.slack).toMatchObject({
      mode: "events", port: 8095, path: "/slack/events", interactionsPath: "/slack/interactions",
      oauthInstallPath: "/slack/install", oauthCallbackPath: "/slack/oauth/callback", oauthScopes: DEFAULT_SLACK_SCOPES,
      oauthStateTtlSec: 600, requireMention: true, replyInThread: true, apiRoot: "https://slack.com/api/"
    })
    expect(config.feishu).toMatchObject({
      mode: "websocket", domain: "feishu", port: 8094, path: "/feishu/events", callbackPath: "/feishu/callback",
      requireMention: true, replyInThread: true, apiRoot: "https://open.feishu.cn", bindings: []
    })
  })

  it("say which platforms are off and that the operator server still runs", () => {
    const { info } = load({})
    expect(info).toContain(`Telegram not configured (${C}TELEGRAM_TOKEN unset); adapter off.`)
    expect(info).toContain(`Kakao adapter disabled (${C}KAKAO_ENABLED is not true).`)
    expect(info.some((line) => line.startsWith("No platform configured: the operator server still runs"))).toBe(true)
  })
})

describe("bounded integers: every clamp range edge", () => {
  const clamped: ReadonlyArray<readonly [string, number, number, (c: ReturnType<typeof load>["config"]) => number]> = [
    ["DELIVERY_MAX_IMAGES", 1, 16, (c) => c.delivery.maxImages],
    ["DELIVERY_MAX_BYTES", 65536, 52428800, (c) => c.delivery.maxBytes],
    ["DELIVERY_TIMEOUT_SEC", 30, 3600, (c) => c.delivery.timeoutSec],
    ["MEDIA_TTL_SEC", 60, 86400, (c) => c.media.ttlSec],
    ["MEDIA_MAX_MB", 1, 64, (c) => c.media.maxMb],
    ["RATE_LIMIT_USER_RPM", 1, 600, (c) => c.policy.rateLimitUserRpm],
    ["RATE_LIMIT_CHANNEL_RPM", 1, 600, (c) => c.policy.rateLimitChannelRpm],
    ["MAX_COMMAND_LENGTH", 128, 32768, (c) => c.policy.maxCommandLength],
    ["SLACK_OAUTH_STATE_TTL_SEC", 60, 3600, (c) => c.slack.oauthStateTtlSec]
  ]

  it.each(clamped)("%s clamps to %i..%i", (name, min, max, get) => {
    const key = `${C}${name}`
    expect(get(load({ [key]: String(min) }).config)).toBe(min)
    expect(get(load({ [key]: String(max) }).config)).toBe(max)
    const below = load({ [key]: String(min - 1) })
    expect(get(below.config)).toBe(min)
    expect(below.warnings).toContain(`Connector env ${key}=${min - 1} is below minimum ${min}; clamped to ${min}.`)
    const above = load({ [key]: String(max + 1) })
    expect(get(above.config)).toBe(max)
    expect(above.warnings).toContain(`Connector env ${key}=${max + 1} is above maximum ${max}; clamped to ${max}.`)
  })

  const ports: ReadonlyArray<readonly [string, number, (c: ReturnType<typeof load>["config"]) => number]> = [
    ["OPERATOR_PORT", 8093, (c) => c.operator.port],
    ["LINE_PORT", 8099, (c) => c.line.port],
    ["WHATSAPP_PORT", 8098, (c) => c.whatsapp.port],
    ["WECHAT_PORT", 8097, (c) => c.wechat.port],
    ["KAKAO_PORT", 8096, (c) => c.kakao.port],
    ["SLACK_PORT", 8095, (c) => c.slack.port],
    ["FEISHU_PORT", 8094, (c) => c.feishu.port]
  ]

  it.each(ports)("%s accepts 1..65535 and falls back to %i outside", (name, fallback, get) => {
    const key = `${C}${name}`
    expect(get(load({ [key]: "1" }).config)).toBe(1)
    expect(get(load({ [key]: "65535" }).config)).toBe(65535)
    for (const bad of ["0", "65536"]) {
      const loaded = load({ [key]: bad })
      expect(get(loaded.config)).toBe(fallback)
      expect(loaded.warnings).toContain(
        `Connector env ${key}=${bad} is outside supported range 1..65535; using default ${fallback}.`
      )
    }
  })

  it("accepts Python int() forms and rejects others with the reference's warning", () => {
    expect(load({ [`${C}DELIVERY_MAX_BYTES`]: "1_000_000" }).config.delivery.maxBytes).toBe(1000000)
    expect(load({ [`${C}DELIVERY_MAX_IMAGES`]: " 12 " }).config.delivery.maxImages).toBe(12)
    expect(load({ [`${C}DELIVERY_MAX_IMAGES`]: "+5" }).config.delivery.maxImages).toBe(5)
    for (const bad of ["1e3", "0x10", "12.0"]) {
      const loaded = load({ [`${C}DELIVERY_MAX_IMAGES`]: bad })
      expect(loaded.config.delivery.maxImages).toBe(4)
      expect(loaded.warnings).toContain(
        `Connector env ${C}DELIVERY_MAX_IMAGES='${bad}' is not a valid integer; using default 4.`
      )
    }
  })

  it("treats a blank value as unset, silently", () => {
    const loaded = load({ [`${C}MEDIA_TTL_SEC`]: "  " })
    expect(loaded.config.media.ttlSec).toBe(300)
    expect(loaded.warnings.some((w) => w.includes("MEDIA_TTL_SEC"))).toBe(false)
  })
})

describe("core values", () => {
  it("falls back to the default URL when OPENCLAW_CONNECTOR_URL is empty, and strips trailing slashes", () => {
    expect(load({ [`${C}URL`]: "" }).config.backend.url).toBe("http://127.0.0.1:8188")
    expect(load({ [`${C}URL`]: "https://comfy.example:8443/base///" }).config.backend.url).toBe("https://comfy.example:8443/base")
  })

  it.each(["not a url", "localhost:8188", "ftp://host"])("refuses backend URL %j, naming the variable", (url) => {
    const error = loadError({ [`${C}URL`]: url })
    expect(error.variable).toBe(`${C}URL`)
    expect(error.message).toContain(`${C}URL`)
  })

  it("turns debug on only for exactly 1, and derives the log level", () => {
    expect(load({ [`${C}DEBUG`]: "1" }).config).toMatchObject({ debug: true, logLevel: "Debug" })
    expect(load({ [`${C}DEBUG`]: "true" }).config).toMatchObject({ debug: false, logLevel: "Info" })
    expect(load({ [`${C}DEBUG`]: "1", [`${C}LOG_LEVEL`]: "warn" }).config.logLevel).toBe("Warning")
    const bad = load({ [`${C}LOG_LEVEL`]: "loud" })
    expect(bad.config.logLevel).toBe("Info")
    expect(bad.warnings).toContain(`Connector env ${C}LOG_LEVEL is not a log level; using Info.`)
  })

  it("reads the operator bind and keeps loopback for a blank bind", () => {
    expect(load({ [`${C}OPERATOR_BIND`]: "0.0.0.0" }).config.operator.bind).toBe("0.0.0.0")
    expect(load({ [`${C}OPERATOR_BIND`]: " " }).config.operator.bind).toBe("127.0.0.1")
  })

  it("accepts a postgres database URL and refuses anything else without echoing it", () => {
    const ok = load({ [`${C}DATABASE_URL`]: "postgres://u:pw@db/oc" }).config.databaseUrl
    expect(Option.isSome(ok)).toBe(true)
    const error = loadError({ [`${C}DATABASE_URL`]: "mysql://u:s3cretpw@db/oc" })
    expect(error.variable).toBe(`${C}DATABASE_URL`)
    expect(error.message).not.toContain("s3cretpw")
  })

  it("validates the public base URL and warns when it is not https", () => {
    expect(loadError({ [`${C}PUBLIC_BASE_URL`]: "example.com" }).variable).toBe(`${C}PUBLIC_BASE_URL`)
    const loaded = load({ [`${C}PUBLIC_BASE_URL`]: "http://example.com" })
    expect(loaded.config.media.publicBaseUrl).toEqual(Option.some("http://example.com"))
    expect(loaded.warnings.some((w) => w.includes("PUBLIC_BASE_URL is not an https:// URL"))).toBe(true)
  })

  it("refuses a media path that is not a path", () => {
    expect(loadError({ [`${C}MEDIA_PATH`]: "media" }).variable).toBe(`${C}MEDIA_PATH`)
    expect(load({ [`${C}MEDIA_PATH`]: "/files/m" }).config.media.path).toBe("/files/m")
  })
})

describe("state directory", () => {
  it("resolves STATE_DIR to an absolute path and puts media under it", () => {
    const { config } = load({ [`${C}STATE_DIR`]: "var/oc" })
    expect(config.stateDir).toBe(path.resolve("var/oc"))
    expect(config.media.dir).toBe(path.resolve("var/oc", "media"))
  })

  it("honours the reference's STATE_PATH: a file means its parent directory", () => {
    expect(resolveStateDir(undefined, "/srv/oc/connector_state.json", "/cwd")).toBe("/srv/oc")
    expect(resolveStateDir(undefined, "connector_state.json", "/cwd")).toBe("/cwd")
    expect(resolveStateDir(undefined, "state", "/cwd")).toBe("/cwd/state")
    expect(resolveStateDir("/abs/dir", "ignored.json", "/cwd")).toBe("/abs/dir")
    expect(resolveStateDir(undefined, undefined, "/cwd")).toBe("/cwd/data")
    expect(load({ [`${C}STATE_PATH`]: "/srv/oc/connector_state.json" }).config.stateDir).toBe("/srv/oc")
  })
})
