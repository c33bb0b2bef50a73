import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Logger, LogLevel, Option, Redacted, Scope } from "effect"
import { BackendHttp } from "../../../src/adapters/backend/BackendHttp.js"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import { MemoryStorage } from "../../../src/adapters/storage/memory/MemoryStorage.js"
import { RateLimiterMemory } from "../../../src/adapters/storage/memory/RateLimiterMemory.js"
import { admitUpdate, executeUpdate } from "../../../src/adapters/telegram/ExactlyOnce.js"
import { makeTelegramOutbox } from "../../../src/adapters/telegram/Outbox.js"
import { makeTriage, type ProcessRequirements, UNAVAILABLE_TEXT } from "../../../src/adapters/telegram/Process.js"
import { Texts } from "../../../src/domain/render/Texts.js"
import { ButtonStore } from "../../../src/ports/ButtonStore.js"
import { StoreError } from "../../../src/ports/StoreError.js"
import { ADMIN_ID, settingsLayer } from "../../support/Builders.js"
import { type FakeBackend, startFakeBackend } from "../../support/FakeBackend.js"
import { messageUpdate, pressUpdate, supergroup } from "../../e2e/support/TelegramUpdates.js"
import { apiFixture, type ApiFixture } from "./fixtures.js"

/**
 * Processing of admitted updates in-process (the real core over a fake backend, the real client
 * and outbox over the fake Bot API): the paths the end-to-end suite cannot time, such as a press
 * whose command outlasts the answer budget, or a button store that cannot answer.
 */
const ADMIN_TOKEN = "process-admin-token"
const GROUP = supergroup(-100321)
const BOT = { id: 777000111, username: "OpenClawTestBot" }

const ports = (backend: FakeBackend, buttons: Layer.Layer<ButtonStore> | undefined) => {
  const settings = settingsLayer()
  return Layer.mergeAll(
    buttons === undefined ? MemoryStorage : Layer.merge(MemoryStorage, buttons),
    BackendHttp.layer({ baseUrl: backend.url, adminToken: Option.some(Redacted.make(ADMIN_TOKEN)) }).pipe(
      Layer.provide(NodeHttpClient.layerUndici)
    ),
    settings,
    RateLimiterMemory.pipe(Layer.provide(settings)),
    CallbackSignerHmac.layer(Redacted.make("process-callback-key"))
  )
}

type Handle = (update: Record<string, unknown>, id: number) => Effect.Effect<void, never, ProcessRequirements>
type Harness = ApiFixture & { readonly backend: FakeBackend; readonly handle: Handle }

const withHarness = <A>(
  body: (h: Harness) => Effect.Effect<A, never, ProcessRequirements>,
  options: { readonly buttons?: Layer.Layer<ButtonStore> } = {}
) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startFakeBackend({ adminToken: ADMIN_TOKEN, templates: [{ id: "portrait", allowed_inputs: ["positive_prompt"] }] })),
    (backend) =>
      apiFixture((f) =>
        Effect.gen(function*() {
          const scope = yield* Scope.make()
          const outbox = yield* makeTelegramOutbox(f.api).pipe(Scope.extend(scope))
          const triage = makeTriage({ bot: BOT, api: f.api, outbox, answerBudgetMillis: 100 })
          const handle = (update: Record<string, unknown>, id: number) =>
            Effect.gen(function*() {
              const admission = yield* admitUpdate(triage({ update_id: id, ...update }, id))
              if (admission._tag === "Admitted") yield* executeUpdate(admission)
            })
          const result = yield* body({ ...f, backend, handle })
          yield* Scope.close(scope, Exit.void)
          return result
        }).pipe(Effect.provide(ports(backend, options.buttons)))
      ),
    (backend) => Effect.promise(() => backend.close())
  )

/** An untrusted /run (approval requested), then the admin's /approvals: the Approve button's data. */
const approveButton = (h: Harness) =>
  Effect.gen(function*() {
    yield* h.handle(messageUpdate(4100, "/run portrait a heron", { chat: GROUP }), 1)
    yield* h.handle(messageUpdate(Number(ADMIN_ID), "/approvals", { chat: GROUP }), 2)
    const calls = yield* Effect.promise(() => h.telegram.waitFor((c) => c.filter((x) => x.method === "sendMessage").length >= 2))
    const list = calls.filter((c) => c.method === "sendMessage")[1]!
    return list.body.reply_markup.inline_keyboard[0][0].callback_data as string
  })

describe("Telegram update processing", () => {
  it.live("a press whose command outlasts the answer budget is answered at once, then replied to in the chat", () =>
    withHarness((h) =>
      Effect.gen(function*() {
        const data = yield* approveButton(h)
        let release!: () => void
        const held = new Promise<void>((resolve) => (release = resolve))
        h.backend.override("POST", /^\/openclaw\/approvals\/[^/]+\/approve$/, async () => {
          await held
          return { status: 200, json: { approved: true, executed: true, prompt_id: "p-late" } }
        })
        const running = yield* Effect.fork(h.handle(pressUpdate(Number(ADMIN_ID), data, { chat: GROUP }), 3))
        const answered = yield* Effect.promise(() => h.telegram.waitFor((c) => c.some((x) => x.method === "answerCallbackQuery")))
        expect(answered.find((c) => c.method === "answerCallbackQuery")!.body).not.toHaveProperty("text")
        release()
        yield* running.await
        const sends = yield* Effect.promise(() => h.telegram.waitFor((c) => c.filter((x) => x.method === "sendMessage").length >= 3))
        expect(sends.filter((c) => c.method === "sendMessage")[2]!.body).toMatchObject({ chat_id: -100321, text: expect.stringMatching(/^\[Approved\] /) })
        expect(h.telegram.callsTo("answerCallbackQuery")).toHaveLength(1)
      })
    ))

  it.live("a press while the button store is down is told to try again; nothing runs", () => {
    const failing = Layer.succeed(ButtonStore, ButtonStore.of({
      put: () => Effect.void,
      get: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "get" }))
    }))
    return withHarness((h) =>
      Effect.gen(function*() {
        const data = "c1.AAAAAAAAAAAAAAAA.1700000000.0123456789abcdef0123456789abcdef"
        yield* h.handle(pressUpdate(Number(ADMIN_ID), data, { chat: GROUP }), 9)
        expect(h.telegram.callsTo("answerCallbackQuery")[0]!.body.text).toBe(UNAVAILABLE_TEXT)
        expect(h.backend.calls).toHaveLength(0)
      }), { buttons: failing })
  })

  it.live("a press that hits a defect is answered with the internal-error text; nothing runs", () => {
    const dying = Layer.succeed(ButtonStore, ButtonStore.of({
      put: () => Effect.void,
      get: () => Effect.die(new Error("button store bug (test)"))
    }))
    return withHarness((h) =>
      Effect.gen(function*() {
        const data = "c1.AAAAAAAAAAAAAAAA.1700000000.0123456789abcdef0123456789abcdef"
        yield* h.handle(pressUpdate(Number(ADMIN_ID), data, { chat: GROUP }), 10)
        expect(h.telegram.callsTo("answerCallbackQuery").map((c) => c.body.text)).toEqual([Texts.internalError])
        expect(h.backend.calls).toHaveLength(0)
      }).pipe(Logger.withMinimumLogLevel(LogLevel.None)), { buttons: dying })
  })

  it.live("an update id seen before is not run again", () =>
    withHarness((h) =>
      Effect.gen(function*() {
        yield* h.handle(messageUpdate(4200, "/status"), 20)
        yield* h.handle(messageUpdate(4200, "/status"), 20)
        yield* Effect.promise(() => h.telegram.waitFor((c) => c.some((x) => x.method === "sendMessage")))
        expect(h.backend.callsTo("GET", "/openclaw/health")).toHaveLength(1)
      })
    ))
})
