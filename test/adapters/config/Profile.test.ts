import { describe, expect, it } from "@effect/vitest"
import { C, load, loadError } from "./env.js"

const telegram = { [`${C}TELEGRAM_TOKEN`]: "t" }
const kakao = { [`${C}KAKAO_ENABLED`]: "true" }
const feishu = { [`${C}FEISHU_APP_ID`]: "a", [`${C}FEISHU_APP_SECRET`]: "s", [`${C}FEISHU_VERIFICATION_TOKEN`]: "v" }

describe("strict profile gate", () => {
  it.each([
    ["OPENCLAW_DEPLOYMENT_PROFILE", " Public "],
    ["OPENCLAW_RUNTIME_PROFILE", "HARDENED"]
  ])("%s=%j refuses an enabled platform without an allowlist", (variable, value) => {
    const error = loadError({ [variable]: value, ...telegram })
    expect(error.reason).toBe("unguarded-platform")
    expect(error.variable).toBe(variable)
    expect(error.message).toContain(`telegram (set ${C}TELEGRAM_ALLOWED_USERS or ${C}TELEGRAM_ALLOWED_CHATS)`)
  })

  it("covers Kakao and Feishu too, naming every unguarded platform", () => {
    const error = loadError({ OPENCLAW_DEPLOYMENT_PROFILE: "public", ...kakao, ...feishu })
    expect(error.message).toContain(`kakao (set ${C}KAKAO_ALLOWED_USERS)`)
    expect(error.message).toContain(`feishu (set ${C}FEISHU_ALLOWED_USERS or ${C}FEISHU_ALLOWED_CHATS)`)
  })

  it("starts when every enabled platform has an allowlist", () => {
    const { config } = load({
      OPENCLAW_DEPLOYMENT_PROFILE: "public", ...telegram, [`${C}TELEGRAM_ALLOWED_CHATS`]: "-100",
      ...kakao, [`${C}KAKAO_ALLOWED_USERS`]: "k1", ...feishu, [`${C}FEISHU_ALLOWED_CHATS`]: "oc_1"
    })
    expect(config.profile.strict).toBe(true)
  })

  it("counts a list that parses to nothing as no coverage", () => {
    expect(loadError({ OPENCLAW_RUNTIME_PROFILE: "hardened", ...kakao, [`${C}KAKAO_ALLOWED_USERS`]: " , " }).reason)
      .toBe("unguarded-platform")
  })

  it("ignores platforms that are off, and starts with none at all", () => {
    expect(load({ OPENCLAW_DEPLOYMENT_PROFILE: "public", [`${C}LINE_CHANNEL_SECRET`]: "only-half" }).config.profile.strict).toBe(true)
  })

  it("only warns outside the strict profile", () => {
    const { warnings } = load({ OPENCLAW_DEPLOYMENT_PROFILE: "lan", ...kakao })
    expect(warnings.some((w) => w.startsWith("Connector allowlist coverage missing for enabled platform(s): kakao"))).toBe(true)
  })
})

describe("security banner", () => {
  it("shows all three warnings on a bare configuration", () => {
    const { warnings } = load({})
    for (const line of [
      "SECURITY: No trusted users configured.",
      "All /run commands will require approval.",
      "Set OPENCLAW_CONNECTOR_*_ALLOWED_USERS to enable auto-exec.",
      "No admin users configured (OPENCLAW_CONNECTOR_ADMIN_USERS).",
      "Admin commands (/approve, /reject, etc.) will be unavailable.",
      "No admin token configured (OPENCLAW_CONNECTOR_ADMIN_TOKEN).",
      "Admin commands will fail if OpenClaw Server requires authentication."
    ]) {
      expect(warnings).toContain(`\u26a0\ufe0f ${line}`)
    }
  })

  it("counts Slack channels and Feishu chats as trust lists", () => {
    for (const env of [{ [`${C}SLACK_ALLOWED_CHANNELS`]: "C1" }, { [`${C}FEISHU_ALLOWED_CHATS`]: "oc_1" }] as Array<Record<string, string>>) {
      expect(load(env).warnings.some((w) => w.includes("No trusted users configured"))).toBe(false)
    }
  })

  it("drops the admin lines once admins and the token are configured", () => {
    const { warnings } = load({ [`${C}ADMIN_USERS`]: "a1", [`${C}ADMIN_TOKEN`]: "tok" })
    expect(warnings.some((w) => w.includes("No admin"))).toBe(false)
  })
})

describe("tenancy", () => {
  it("reads multi-tenant switches and the tenant header, with MOLTBOT_ fallbacks", () => {
    expect(load({ OPENCLAW_MULTI_TENANT_ENABLED: "yes", OPENCLAW_TENANT_HEADER: "X-Tenant" }).config.tenancy)
      .toEqual({ multiTenantEnabled: true, allowDefaultFallback: false, tenantHeader: "X-Tenant" })
    expect(load({ MOLTBOT_MULTI_TENANT_ENABLED: "1", MOLTBOT_TENANT_HEADER: "X-Moltbot" }).config.tenancy)
      .toMatchObject({ multiTenantEnabled: true, tenantHeader: "X-Moltbot" })
  })

  it("refuses a non-boolean switch and an invalid header name", () => {
    expect(loadError({ OPENCLAW_MULTI_TENANT_ENABLED: "maybe" }).variable).toBe("OPENCLAW_MULTI_TENANT_ENABLED")
    expect(loadError({ OPENCLAW_TENANT_HEADER: "X Tenant" }).variable).toBe("OPENCLAW_TENANT_HEADER")
  })
})
