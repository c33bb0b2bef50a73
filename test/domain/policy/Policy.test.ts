import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { authorize, commandClassOf, isAdmin, isTrusted } from "../../../src/domain/policy/Policy.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { ADMIN_ID, aRequest, aSettings, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"

describe("isAdmin", () => {
  it("bare ids match on every platform, qualified ids only on theirs, exactly", () => {
    const s = aSettings({ adminUsers: ["u1", "telegram:42", "Slack:U9"] })
    expect(isAdmin(s, "discord", "u1")).toBe(true)
    expect(isAdmin(s, "telegram", "u1")).toBe(true)
    expect(isAdmin(s, "telegram", "42")).toBe(true)
    expect(isAdmin(s, "discord", "42")).toBe(false)
    expect(isAdmin(s, "slack", "U9")).toBe(true)
    expect(isAdmin(s, "slack", "u9")).toBe(false)
    expect(isAdmin(s, "discord", "U1")).toBe(false)
    expect(isAdmin(s, "discord", "u1 ")).toBe(false)
    expect(isAdmin(aSettings({ adminUsers: [] }), "telegram", "")).toBe(false)
  })

  it("an entry with an unknown prefix is a bare id containing a colon", () => {
    const s = aSettings({ adminUsers: ["team:7"] })
    expect(isAdmin(s, "discord", "team:7")).toBe(true)
    expect(isAdmin(s, "discord", "7")).toBe(false)
  })
})

describe("isTrusted", () => {
  const trust = {
    telegram: { users: ["123", "-5"], chats: ["-100200"] },
    discord: { users: ["d1"], chats: ["chan1"] },
    whatsapp: { users: ["w1"], chats: [] }
  }
  const s = aSettings({ adminUsers: ["root"], trust })

  it("admins are trusted everywhere, even on platforms without lists", () => {
    expect(isTrusted(s, aRequest({ platform: "kakao", senderId: "root" }))).toBe(true)
  })

  it("Telegram compares integers; non-integer ids never match", () => {
    expect(isTrusted(s, aRequest({ senderId: "123", channelId: "1" }))).toBe(true)
    expect(isTrusted(s, aRequest({ senderId: "0123", channelId: "1" }))).toBe(true)
    expect(isTrusted(s, aRequest({ senderId: "-5", channelId: "1" }))).toBe(true)
    expect(isTrusted(s, aRequest({ senderId: "7", channelId: "-100200" }))).toBe(true)
    expect(isTrusted(s, aRequest({ senderId: "123abc", channelId: "1" }))).toBe(false)
    expect(isTrusted(s, aRequest({ senderId: " 123", channelId: "1" }))).toBe(false)
    expect(isTrusted(s, aRequest({ senderId: "1.23e2", channelId: "x" }))).toBe(false)
  })

  it("other platforms compare exactly, sender or channel; platform name case-insensitive", () => {
    expect(isTrusted(s, aRequest({ platform: "Discord", senderId: "d1", channelId: "x" }))).toBe(true)
    expect(isTrusted(s, aRequest({ platform: "discord", senderId: "x", channelId: "chan1" }))).toBe(true)
    expect(isTrusted(s, aRequest({ platform: "discord", senderId: "D1", channelId: "x" }))).toBe(false)
    expect(isTrusted(s, aRequest({ platform: "whatsapp", senderId: "w1", channelId: "x" }))).toBe(true)
  })

  it("lists are per platform; a platform without lists trusts nobody but admins", () => {
    expect(isTrusted(s, aRequest({ platform: "line", senderId: "d1", channelId: "chan1" }))).toBe(false)
    expect(isTrusted(s, aRequest({ platform: "mastodon", senderId: "d1", channelId: "chan1" }))).toBe(false)
    expect(isTrusted(aSettings({ adminUsers: [] }), aRequest({ senderId: "123" }))).toBe(false)
  })

  it("a qualified entry in a platform's list only matches that platform", () => {
    const scoped = aSettings({ trust: { discord: { users: ["telegram:d1", "discord:d2"], chats: [] } } })
    expect(isTrusted(scoped, aRequest({ platform: "discord", senderId: "d1" }))).toBe(false)
    expect(isTrusted(scoped, aRequest({ platform: "discord", senderId: "d2" }))).toBe(true)
  })
})

describe("commandClassOf and authorize", () => {
  it("defaults come from the table; overrides are by canonical key", () => {
    const s = aSettings({ commandOverrides: new Map([["/status", "admin"], ["/interrupt", "public"]]) })
    expect(commandClassOf(s, "/status")).toBe("admin")
    expect(commandClassOf(s, "/interrupt")).toBe("public")
    expect(commandClassOf(s, "/run")).toBe("run")
    expect(commandClassOf(s, "/help")).toBe("public")
    expect(commandClassOf(s, "/stop")).toBe("admin") // not canonical: never widened
  })

  it("admin class needs an admin", () => {
    const s = aSettings()
    expect(authorize(s, aRequest({ senderId: "u" }), "/trace")).toEqual({
      _tag: "Denied",
      commandClass: "admin",
      text: "[Access Denied] This command requires Admin privileges."
    })
    expect(authorize(s, aRequest({ senderId: ADMIN_ID }), "/trace")._tag).toBe("Allowed")
  })

  it("an allow-from list replaces the class rule: listed non-admins in, unlisted admins out", () => {
    const s = aSettings({ allowFrom: { admin: ["u1"], run: ["power_user"] } })
    expect(authorize(s, aRequest({ senderId: "u1" }), "/interrupt")._tag).toBe("Allowed")
    expect(authorize(s, aRequest({ senderId: ADMIN_ID }), "/interrupt")).toMatchObject({
      _tag: "Denied",
      text: "[Access Denied] You are not in the allow-list for this command."
    })
    expect(authorize(s, aRequest({ senderId: "power_user" }), "/run")._tag).toBe("Allowed")
    expect(authorize(s, aRequest({ senderId: ADMIN_ID }), "/run")._tag).toBe("Denied")
    expect(authorize(s, aRequest({ senderId: "anyone" }), "/status")._tag).toBe("Allowed")
  })

  it("an empty allow-from list is no list", () => {
    const s = aSettings({ allowFrom: { public: [] } })
    expect(authorize(s, aRequest({ senderId: "anyone" }), "/help")._tag).toBe("Allowed")
  })

  it("allow-from entries may be platform-qualified", () => {
    const s = aSettings({ allowFrom: { public: ["discord:u1"] } })
    expect(authorize(s, aRequest({ platform: "discord", senderId: "u1" }), "/help")._tag).toBe("Allowed")
    expect(authorize(s, aRequest({ platform: "telegram", senderId: "u1" }), "/help")._tag).toBe("Denied")
  })

  it("chatTrustedOnly limits /chat to trusted senders and admins", () => {
    const s = aSettings({ chatTrustedOnly: true, trust: { discord: { users: ["d1"], chats: [] } } })
    expect(authorize(s, aRequest({ platform: "discord", senderId: "x" }), "/chat")).toMatchObject({
      _tag: "Denied",
      text: Texts.chatTrustedOnly
    })
    expect(authorize(s, aRequest({ platform: "discord", senderId: "d1" }), "/chat")._tag).toBe("Allowed")
    expect(authorize(s, aRequest({ senderId: ADMIN_ID }), "/chat")._tag).toBe("Allowed")
    expect(authorize(aSettings(), aRequest({ senderId: "x" }), "/chat")._tag).toBe("Allowed")
  })
})

describe("authorization through the router (domain-core §21)", () => {
  it.effect("/status is public; /stop needs an admin; an admin with the token gets Stop", () =>
    Effect.gen(function*() {
      const h = harness()
      h.backend.set("health", { ok: true })
      h.backend.set("promptQueue", {})
      h.backend.set("interrupt", {})
      const status = yield* h.handle(saying("/status", { senderId: "user1" }))
      expect(status).toContain("System Status")
      expect(status).not.toContain("Access Denied")
      expect(yield* h.handle(saying("/stop", { senderId: "user1" }))).toBe(Texts.adminRequired)
      expect(h.backend.callsTo("interrupt")).toEqual([])
      expect(yield* h.handle(saying("/stop", { senderId: ADMIN_ID }))).toContain("Stop")
    }))

  it.effect("override /status to admin: users denied, admins served (no token guard)", () =>
    Effect.gen(function*() {
      const h = harness({ commandOverrides: new Map([["/status", "admin"]]), adminTokenConfigured: false })
      h.backend.set("health", { ok: true })
      expect(yield* h.handle(saying("/status", { senderId: "user1" }))).toBe(Texts.adminRequired)
      expect(yield* h.handle(saying("/status", { senderId: ADMIN_ID }))).toContain("System Status")
    }))

  it.effect("allow-from RUN: user and admin denied, power_user served; /status unaffected", () =>
    Effect.gen(function*() {
      const h = harness({ allowFrom: { run: ["power_user"] } })
      h.backend.set("submitJob", { pending: true, approval_id: "apr_1" })
      h.backend.set("health", { ok: true })
      expect(yield* h.handle(saying("/run tpl", { senderId: "user1" }))).toBe(Texts.notInAllowList)
      expect(yield* h.handle(saying("/run tpl", { senderId: ADMIN_ID }))).toBe(Texts.notInAllowList)
      expect(yield* h.handle(saying("/run tpl", { senderId: "power_user" }))).toContain("Approval Requested")
      expect(yield* h.handle(saying("/status", { senderId: "user1" }))).toContain("System Status")
      // An allow-listed sender is not thereby trusted: approval is still required.
      expect(h.backend.callsTo("submitJob")).toEqual([[{ templateId: "tpl", inputs: {}, requireApproval: true }]])
    }))

  it.effect("override /run to admin denies every alias (canonicalisation)", () =>
    Effect.gen(function*() {
      const h = harness({ commandOverrides: new Map([["/run", "admin"]]) })
      expect(yield* h.handle(saying("/run template", { senderId: "user1" }))).toBe(Texts.adminRequired)
      expect(yield* h.handle(saying("run template", { senderId: "user1" }))).toBe(Texts.adminRequired)
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("an admin command overridden to public still needs the admin token", () =>
    Effect.gen(function*() {
      const h = harness({ commandOverrides: new Map([["/interrupt", "public"]]), adminTokenConfigured: false })
      expect(yield* h.handle(saying("/stop", { senderId: "user1" }))).toBe(Texts.adminTokenMissing)
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("without the admin token every admin command refuses before any backend call", () =>
    Effect.gen(function*() {
      const h = harness({ adminTokenConfigured: false })
      for (const text of ["/stop", "/approvals", "/approve 123", "/reject 123", "/schedules", "/schedule run 1", "/trace 123", "/jobs", "jobs", "queue"]) {
        expect(yield* h.handle(saying(text, { senderId: ADMIN_ID }))).toBe(
          "[Error] Admin token not configured. Set OPENCLAW_CONNECTOR_ADMIN_TOKEN and restart connector."
        )
      }
      expect(h.backend.calls).toEqual([])
    }))

  it.effect("usage comes before the token guard for approve, reject, schedule, trace", () =>
    Effect.gen(function*() {
      const h = harness({ adminTokenConfigured: false })
      const as = (t: string) => h.handle(saying(t, { senderId: ADMIN_ID }))
      expect(yield* as("/approve")).toBe("Usage: /approve <id>")
      expect(yield* as("/reject")).toBe("Usage: /reject <id> [reason]")
      expect(yield* as("/schedule run")).toBe("Usage: /schedule <run|toggle> <id>")
      expect(yield* as("/trace")).toBe("Usage: /trace <prompt_id>")
      expect(yield* as("/stop ,")).toBe(Texts.adminTokenMissing) // stop: token first
    }))

  it.effect("/jobs, jobs, queue by a non-admin are denied without a backend call", () =>
    Effect.gen(function*() {
      const h = harness()
      for (const text of ["/jobs", "jobs", "queue"]) {
        expect(yield* h.handle(saying(text, { senderId: "user1" }))).toBe(Texts.adminRequired)
      }
      expect(h.backend.calls).toEqual([])
    }))
})
