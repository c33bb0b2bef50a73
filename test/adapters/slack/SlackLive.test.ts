import { describe, expect, it } from "@effect/vitest"
import { Option, Redacted } from "effect"
import { C, load } from "../config/env.js"

/**
 * What Slack's inbound transport authenticates with is decided once, by the config
 * (config/Slack.ts `inbound`, Some exactly when Slack is enabled); SlackLive only reads it.
 */
const legacy = { [`${C}SLACK_BOT_TOKEN`]: "xoxb-1" }
const inboundOf = (env: Record<string, string>) => {
  const { config, warnings } = load(env)
  const inbound = Option.map(config.slack.inbound, (i) =>
    i.mode === "events" ? { mode: i.mode, secret: Redacted.value(i.signingSecret) } : { mode: i.mode, secret: Redacted.value(i.appToken) })
  return { enabled: config.slack.enabled, inbound: Option.getOrUndefined(inbound), warnings }
}

describe("Slack inbound transport from the config", () => {
  it("events mode: the signing secret; socket mode: the xapp- token and no signing secret", () => {
    expect(inboundOf({ ...legacy, [`${C}SLACK_SIGNING_SECRET`]: "sig" })).toMatchObject({ enabled: true, inbound: { mode: "events", secret: "sig" } })
    const socket = { ...legacy, [`${C}SLACK_MODE`]: "socket", [`${C}SLACK_APP_TOKEN`]: "xapp-1-A" }
    expect(inboundOf(socket)).toMatchObject({ enabled: true, inbound: { mode: "socket", secret: "xapp-1-A" } })
  })

  it("off (no inbound) when the transport's credential is missing or wrong, saying which", () => {
    expect(inboundOf(legacy)).toMatchObject({ enabled: false, inbound: undefined })
    const socket = { ...legacy, [`${C}SLACK_MODE`]: "socket" }
    expect(inboundOf(socket)).toMatchObject({ enabled: false, inbound: undefined })
    const wrong = inboundOf({ ...socket, [`${C}SLACK_APP_TOKEN`]: "xoxb-not-an-app-token" })
    expect(wrong).toMatchObject({ enabled: false, inbound: undefined })
    expect(wrong.warnings).toContain(`Invalid Slack App Token in ${C}SLACK_APP_TOKEN (must start with xapp-). Skipping.`)
    expect(wrong.warnings.join("\n")).not.toContain("xoxb-not-an-app-token")
  })
})
