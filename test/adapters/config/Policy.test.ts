import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { ConfigLoadError } from "../../../src/adapters/config/ConfigLoadError.js"
import { tryParseIdList } from "../../../src/adapters/config/IdLists.js"
import { parseCommandOverrides } from "../../../src/adapters/config/Policy.js"
import { C, load, loadError } from "./env.js"

const OVERRIDES = "OPENCLAW_COMMAND_OVERRIDES"

describe("OPENCLAW_COMMAND_OVERRIDES", () => {
  it("applies keys naming any alias to the canonical command", () => {
    const { config } = load({
      [OVERRIDES]: JSON.stringify({ "/stop": "public", queue: "RUN", " Run ": "admin", "/START": "admin", history: " admin " })
    })
    expect(config.policy.commandOverrides).toEqual(new Map([
      ["/interrupt", "public"], ["/jobs", "run"], ["/run", "admin"], ["/help", "admin"], ["/history", "admin"]
    ]))
  })

  it("prefixes a bare word with / as the reference does (stop -> /stop -> /interrupt)", () => {
    expect(parseCommandOverrides(JSON.stringify({ stop: "public" }))).toEqual(new Map([["/interrupt", "public"]]))
  })

  it("accepts two aliases of one command when they agree, refuses them when they do not", () => {
    expect(parseCommandOverrides(JSON.stringify({ cancel: "public", "/stop": "public" })))
      .toEqual(new Map([["/interrupt", "public"]]))
    expect(parseCommandOverrides(JSON.stringify({ cancel: "public", "/stop": "admin" }))).toBeInstanceOf(ConfigLoadError)
  })

  it("treats blank and {} as no overrides", () => {
    expect(load({ [OVERRIDES]: "  " }).config.policy.commandOverrides.size).toBe(0)
    expect(load({ [OVERRIDES]: "{}" }).config.policy.commandOverrides.size).toBe(0)
  })

  it.each([
    ["bad JSON", "{not json"],
    ["a JSON list", "[\"/run\"]"],
    ["JSON null", "null"],
    ["an unknown command", JSON.stringify({ "/upper": "admin" })],
    ["a name that is no alias", JSON.stringify({ "/queue": "admin" })],
    ["an unknown class", JSON.stringify({ "/run": "bogus" })],
    ["a null class", JSON.stringify({ "/stop": null })],
    ["a numeric class", JSON.stringify({ "/stop": 1 })],
    ["a list class", JSON.stringify({ "/stop": ["admin"] })]
  ])("stops startup on %s, naming the variable", (_, raw) => {
    const error = loadError({ [OVERRIDES]: raw })
    expect(error.reason).toBe("malformed")
    expect(error.variable).toBe(OVERRIDES)
    expect(error.message.startsWith(OVERRIDES)).toBe(true)
  })
})

describe("allow-from lists", () => {
  it("keeps non-empty lists per class and drops blank ones", () => {
    const { config } = load({
      OPENCLAW_COMMAND_ALLOW_FROM_PUBLIC: "u1, u2,,",
      OPENCLAW_COMMAND_ALLOW_FROM_RUN: " , ",
      [`${C}ADMIN_USERS`]: "a1"
    })
    expect(config.policy.allowFrom).toEqual({ public: ["u1", "u2"] })
  })

  it("warns for every listed id that is not an admin, and for admins the list locks out", () => {
    const { config, warnings } = load({
      OPENCLAW_COMMAND_ALLOW_FROM_ADMIN: "a1, u1, telegram:42",
      [`${C}ADMIN_USERS`]: "a1,42,a2"
    })
    expect(config.policy.allowFrom.admin).toEqual(["a1", "u1", "telegram:42"])
    const widening = warnings.filter((w) => w.startsWith("OPENCLAW_COMMAND_ALLOW_FROM_ADMIN lists"))
    expect(widening).toEqual([
      "OPENCLAW_COMMAND_ALLOW_FROM_ADMIN lists u1, who is not in OPENCLAW_CONNECTOR_ADMIN_USERS: u1 may run admin-class commands."
    ])
    expect(warnings).toContain("OPENCLAW_COMMAND_ALLOW_FROM_ADMIN does not list admin(s) 42, a2: they may not run admin-class commands.")
  })

  it("treats a bare listed id as wider than a platform-scoped admin", () => {
    const { warnings } = load({ OPENCLAW_COMMAND_ALLOW_FROM_ADMIN: "7", [`${C}ADMIN_USERS`]: "telegram:7" })
    expect(warnings.some((w) => w.startsWith("OPENCLAW_COMMAND_ALLOW_FROM_ADMIN lists 7,"))).toBe(true)
  })

  it("warns about a list that is set but empty", () => {
    expect(load({ OPENCLAW_COMMAND_ALLOW_FROM_RUN: ",," }).warnings)
      .toContain("OPENCLAW_COMMAND_ALLOW_FROM_RUN is set but lists no ids; it restricts nothing.")
  })

  it("is exactly the trimmed non-empty items, for any list", () => {
    const item = fc.string({ unit: fc.constantFrom("a", "B", "7", "_", "-", ".", "@", " ", "\t", "é") })
    fc.assert(fc.property(fc.array(item, { maxLength: 12 }), (items) => {
      const raw = items.join(",")
      const parsed = load({ OPENCLAW_COMMAND_ALLOW_FROM_RUN: raw }).config.policy.allowFrom.run ?? []
      expect(parsed).toEqual(items.map((i) => i.trim()).filter((i) => i !== ""))
    }))
  })

  it("refuses a qualified entry without an id, naming the variable and not the entry", () => {
    const error = loadError({ OPENCLAW_COMMAND_ALLOW_FROM_ADMIN: "ok, slack:" })
    expect(error.variable).toBe("OPENCLAW_COMMAND_ALLOW_FROM_ADMIN")
    expect(error.message).toBe("OPENCLAW_COMMAND_ALLOW_FROM_ADMIN entry 2 of 2 has a platform prefix but no id.")
  })
})

describe("admin users and id lists", () => {
  it("keeps bare and platform-qualified ids, canonicalising qualified Telegram ids", () => {
    expect(load({ [`${C}ADMIN_USERS`]: "U1, telegram:0042, discord:99" }).config.policy.adminUsers)
      .toEqual(["U1", "telegram:42", "discord:99"])
  })

  it("refuses a Telegram-qualified admin that is not an integer", () => {
    const error = loadError({ [`${C}ADMIN_USERS`]: "telegram:alice" })
    expect(error.variable).toBe(`${C}ADMIN_USERS`)
    expect(error.message).not.toContain("alice")
  })

  it("unwraps a per-platform entry qualified with its own platform and refuses another platform", () => {
    expect(tryParseIdList("V", "slack:U1,U2", { platform: "slack" })).toEqual(["U1", "U2"])
    const error = tryParseIdList("V", "discord:1", { platform: "slack" })
    expect(error).toBeInstanceOf(ConfigLoadError)
    expect((error as ConfigLoadError).message).toBe("V entry 1 of 1 is qualified with 'discord:' but this list is for slack.")
  })

  it("strictly reads CHAT_TRUSTED_ONLY", () => {
    expect(load({ [`${C}CHAT_TRUSTED_ONLY`]: "TRUE" }).config.policy.chatTrustedOnly).toBe(true)
    expect(load({ [`${C}CHAT_TRUSTED_ONLY`]: "off" }).config.policy.chatTrustedOnly).toBe(false)
    expect(loadError({ [`${C}CHAT_TRUSTED_ONLY`]: "sometimes" }).variable).toBe(`${C}CHAT_TRUSTED_ONLY`)
  })
})
