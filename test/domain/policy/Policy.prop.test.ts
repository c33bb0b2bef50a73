import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { COMMAND_TABLE } from "../../../src/domain/command/CommandTable.js"
import { authorize } from "../../../src/domain/policy/Policy.js"
import type { CommandClass } from "../../../src/domain/model/Settings.js"
import { ADMIN_ID, aRequest, aSettings, saying } from "../../support/Builders.js"
import { harness } from "../fakes.js"

const PLATFORMS = ["telegram", "discord", "line", "whatsapp", "wechat", "kakao", "slack", "feishu"]
const ADMIN_ALIASES = COMMAND_TABLE.filter((e) => e.defaultClass === "admin").flatMap((e) => e.aliases)

const senderId = fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String)).filter((s) => s !== ADMIN_ID)
const arg = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:,=-]{0,12}$/), fc.constant(","), fc.constant("p-1"))

describe("admin-class commands by non-admins", () => {
  it.effect.prop(
    "no alias with any args makes any backend call (no allow-from list)",
    [fc.constantFrom(...ADMIN_ALIASES), fc.array(arg, { maxLength: 4 }), senderId, fc.constantFrom(...PLATFORMS), fc.boolean()],
    ([alias, args, sender, platform, mention]) =>
      Effect.gen(function*() {
        const h = harness({
          adminUsers: [ADMIN_ID, `${platform === "discord" ? "slack" : "discord"}:${sender}`],
          trust: { [platform]: { users: [sender], chats: [] } } // trusted is not admin
        })
        const text = `${mention ? "@bot " : ""}${alias} ${args.join(" ")}`
        const reply = yield* h.handle(saying(text, { platform, senderId: sender }))
        expect(h.backend.calls).toEqual([])
        expect(reply).toMatch(/^\[Access Denied\]|^Unknown command|^\[Error\] Parsing/)
      })
  )
})

const CLASSES: ReadonlyArray<CommandClass> = ["public", "run"]
const canonicalOf = (c: CommandClass) => COMMAND_TABLE.filter((e) => e.defaultClass === c).map((e) => e.canonical)

describe("allow-from lists only narrow the public and run classes", () => {
  it.prop(
    "a sender allowed with a list was allowed without it",
    [
      fc.constantFrom(...CLASSES).chain((c) => fc.tuple(fc.constant(c), fc.constantFrom(...canonicalOf(c)))),
      fc.array(fc.oneof(fc.constantFrom("u1", "u2", "telegram:u1", "discord:u2", ADMIN_ID), fc.string({ maxLength: 6 })), { maxLength: 5 }),
      fc.constantFrom("u1", "u2", ADMIN_ID, "x"),
      fc.constantFrom(...PLATFORMS),
      fc.boolean()
    ],
    ([[commandClass, canonical], list, sender, platform, chatTrustedOnly]) => {
      const request = aRequest({ platform, senderId: sender })
      const base = aSettings({ chatTrustedOnly })
      const withList = aSettings({ chatTrustedOnly, allowFrom: { [commandClass]: list } })
      const allowedWith = authorize(withList, request, canonical)._tag === "Allowed"
      const allowedWithout = authorize(base, request, canonical)._tag === "Allowed"
      expect(!allowedWith || allowedWithout).toBe(true)
    }
  )
})

describe("the trust downgrade", () => {
  it.effect.prop(
    "an untrusted sender's /run always reaches the backend asking for approval",
    [fc.array(fc.oneof(arg, fc.string({ maxLength: 10 })), { minLength: 1, maxLength: 6 }), senderId, fc.constantFrom(...PLATFORMS)],
    ([args, sender, platform]) =>
      Effect.gen(function*() {
        const h = harness({ trust: { [platform]: { users: [], chats: [] } } })
        h.backend.set("submitJob", { pending: true, approval_id: "apr_1" })
        const quoted = args.map((a) => `"${a.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(" ")
        yield* h.handle(saying(`/run ${quoted}`, { platform, senderId: sender, channelId: "c" }))
        for (const [request] of h.backend.callsTo("submitJob")) {
          expect(request).toMatchObject({ requireApproval: true })
        }
        // Whenever a template id survived flag removal, the backend was called.
        const remaining = args.filter((a) => !["--approval", "--require-approval", "-a"].includes(a))
        expect(h.backend.callsTo("submitJob").length).toBe(remaining.length > 0 ? 1 : 0)
      })
  )
})
