import { describe, expect, it } from "@effect/vitest"
import { REST } from "discord.js"
import { Effect, Layer } from "effect"
import { makeDiscordDelivery } from "../../../src/adapters/discord/Delivery.js"
import { DISCORD_UPLOAD_MAX_BYTES } from "../../../src/adapters/discord/DeliveryRules.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import type { DeliveryTarget } from "../../../src/domain/model/Request.js"
import type { DeliveryImage, PlatformDelivery } from "../../../src/ports/ChatDelivery.js"
import { PlatformHealth } from "../../../src/ports/PlatformHealth.js"
import { type DiscordFake, type DiscordFakeOptions, startDiscordFake } from "../../e2e/support/DiscordFake.js"
import { freePort } from "../../e2e/support/ServiceProcess.js"
import { CHANNEL, THREAD } from "./support.js"

/**
 * Discord's PlatformDelivery over discord.js's REST manager against the fake Discord on
 * 127.0.0.1: what Discord receives (JSON and multipart), nonces across retries, and a receipt
 * only when Discord created or edited the message.
 */

const target = (channelId: string, threadId = ""): DeliveryTarget => ({ platform: "discord", channelId, senderId: "1", workspaceId: "", threadId })
const image = (size: number, over: Partial<DeliveryImage> = {}): DeliveryImage => ({
  bytes: new Uint8Array(size).fill(9),
  filename: "ComfyUI_00042_.jpg",
  contentType: "image/jpeg",
  ...over
})
const messagesPath = (channel: string) => `/api/v10/channels/${channel}/messages`

interface Fixture {
  readonly fake: DiscordFake
  readonly delivery: PlatformDelivery
  readonly health: PlatformHealth["Type"]
}

const withDelivery = <A, E>(
  body: (f: Fixture) => Effect.Effect<A, E>,
  options: DiscordFakeOptions & { readonly apiRoot?: string; readonly timeoutMillis?: number } = {}
) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startDiscordFake(options)),
    (fake) =>
      Effect.acquireUseRelease(
        Effect.sync(() => new REST({ api: options.apiRoot ?? fake.apiRoot, timeout: options.timeoutMillis ?? 5_000, retries: 2 }).setToken(fake.token)),
        (rest) =>
          Effect.gen(function*() {
            const delivery = yield* makeDiscordDelivery(rest)
            return yield* body({ fake, delivery, health: yield* PlatformHealth })
          }),
        (rest) => Effect.sync(() => {
          rest.clearHashSweeper()
          rest.clearHandlerSweeper()
        })
      ),
    (fake) => Effect.promise(() => fake.close())
  ).pipe(Effect.provide(Layer.fresh(PlatformHealthMemory)))

describe("Discord delivery: text", () => {
  it.live("posts to the thread when the target has one, else the channel; no pings; nonce enforced", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        expect([delivery.platform, delivery.canEdit, delivery.idempotentSends]).toEqual(["discord", true, true])
        const inThread = yield* delivery.sendText(target(CHANNEL, THREAD), "⏳ Job p-1 queued", "job-1:status")
        const inChannel = yield* delivery.sendText(target(CHANNEL), "@everyone done", "job-2:status")
        expect(fake.created.map((c) => c.channelId)).toEqual([THREAD, CHANNEL])
        const [first, second] = fake.created
        expect(first!.body).toMatchObject({ content: "⏳ Job p-1 queued", allowed_mentions: { parse: [] }, enforce_nonce: true })
        expect(first!.body.nonce).toMatch(/^[0-9a-f]{25}$/)
        expect(second!.body.allowed_mentions).toEqual({ parse: [] })
        expect(inThread).toEqual({ rung: "text", platformRef: first!.id })
        expect(inChannel.platformRef).toBe(second!.id)
      })
    ))

  it.live("splits at 2000 characters with one nonce per part; the receipt names the first message", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        const text = Array.from({ length: 200 }, (_, i) => `line ${i} ${"y".repeat(20)}`).join("\n")
        const receipt = yield* delivery.sendText(target(CHANNEL), text, "k")
        const contents = fake.created.map((c) => c.body.content as string)
        expect(contents.length).toBe(3)
        for (const c of contents) expect(c.length).toBeLessThanOrEqual(2000)
        expect(contents.join("")).toBe(text)
        expect(new Set(fake.created.map((c) => c.body.nonce)).size).toBe(3)
        expect(receipt.platformRef).toBe(fake.created[0]!.id)
      })
    ))

  it.live("a later part that fails after the first arrived is unknown-outcome, never a receipt", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        const text = Array.from({ length: 200 }, (_, i) => `line ${i} ${"y".repeat(20)}`).join("\n")
        const secondPart = (body: any) => typeof body?.content === "string" && !body.content.startsWith("line 0 ")
        fake.answerNextWhen("POST", messagesPath(CHANNEL), secondPart, { status: 403, json: { message: "Missing Permissions", code: 50013 } })
        const error = yield* Effect.flip(delivery.sendText(target(CHANNEL), text, "k-partial"))
        expect(error.reason).toBe("unknown-outcome")
        expect(error.message).toMatch(/^part 2 of 3 not delivered/)
        expect(fake.created.map((c) => (c.body.content as string).slice(0, 7))).toEqual(["line 0 "])
        // The same refusal on the first part is what it is: nothing reached the chat.
        fake.answerNext("POST", messagesPath(CHANNEL), { status: 403, json: { message: "Missing Permissions", code: 50013 } })
        expect((yield* Effect.flip(delivery.sendText(target(CHANNEL), text, "k-first"))).reason).toBe("rejected")
      })
    ))

  it.live("a 2xx without a message id is unknown-outcome (a receipt always names a message)", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        fake.answerNext("POST", messagesPath(CHANNEL), { status: 200, json: {} })
        expect((yield* Effect.flip(delivery.sendText(target(CHANNEL), "x", "k1"))).reason).toBe("unknown-outcome")
        fake.answerNext("POST", messagesPath(CHANNEL), { status: 200, json: { id: "" } })
        expect((yield* Effect.flip(delivery.sendImage(target(CHANNEL), image(10), "k2"))).reason).toBe("unknown-outcome")
      })
    ))

  it.live("a resend with the same key posts nothing new and names the same message", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        const once = yield* delivery.sendText(target(CHANNEL), "result", "entry-7:link")
        const again = yield* delivery.sendText(target(CHANNEL), "result", "entry-7:link")
        expect(again).toEqual(once)
        expect(fake.created.length).toBe(1)
        yield* delivery.sendText(target(CHANNEL), "result", "entry-8:link")
        expect(fake.created.length).toBe(2)
      })
    ))

  it.live("discord.js's retries (a 500, an answer too late) carry the same nonce: one message", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        fake.answerNext("POST", messagesPath(CHANNEL), { status: 500, json: { message: "oops", code: 0 } })
        const receipt = yield* delivery.sendText(target(CHANNEL), "after a 500", "k1")
        fake.answerLate("POST", messagesPath(CHANNEL), 1_000)
        const late = yield* delivery.sendText(target(CHANNEL), "answered late", "k2")
        const posts = fake.callsTo("POST", messagesPath(CHANNEL))
        expect(posts.length).toBe(4)
        expect(posts[0]!.body.nonce).toBe(posts[1]!.body.nonce)
        expect(posts[2]!.body.nonce).toBe(posts[3]!.body.nonce)
        expect(fake.created.map((c) => c.body.content)).toEqual(["after a 500", "answered late"])
        expect([receipt.platformRef, late.platformRef]).toEqual(fake.created.map((c) => c.id))
      }), { timeoutMillis: 300 }))

  it.live("no answer at all is unknown-outcome (and still one message at most)", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        fake.answerLate("POST", messagesPath(CHANNEL), 1_000, 3)
        const error = yield* Effect.flip(delivery.sendText(target(CHANNEL), "lost answer", "k"))
        expect(error.reason).toBe("unknown-outcome")
        expect(fake.created.length).toBe(1)
      }), { timeoutMillis: 200 }))

  it.live("refusals: 403 rejected, 401 unavailable (token health marked), bad ids rejected without a call", () =>
    withDelivery(({ delivery, fake, health }) =>
      Effect.gen(function*() {
        fake.answerNext("POST", messagesPath(CHANNEL), { status: 403, json: { message: "Missing Permissions", code: 50013 } })
        expect((yield* Effect.flip(delivery.sendText(target(CHANNEL), "x", "k1"))).reason).toBe("rejected")
        fake.answerNext("POST", messagesPath(CHANNEL), { status: 401, json: { message: "401: Unauthorized", code: 0 } })
        expect((yield* Effect.flip(delivery.sendText(target(CHANNEL), "x", "k2"))).reason).toBe("unavailable")
        expect((yield* health.snapshot)[0]).toMatchObject({ platform: "discord", state: "invalid_token" })
        const before = fake.calls.length
        expect((yield* Effect.flip(delivery.sendText(target("general"), "x", "k3"))).reason).toBe("rejected")
        expect((yield* Effect.flip(delivery.sendText(target(CHANNEL), " ", "k4"))).reason).toBe("rejected")
        expect(fake.calls.length).toBe(before)
      })
    ))

  it.live("an API that cannot be reached is unavailable", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() => freePort())
      yield* withDelivery(({ delivery }) =>
        Effect.gen(function*() {
          expect((yield* Effect.flip(delivery.sendText(target(CHANNEL), "x", "k"))).reason).toBe("unavailable")
        }), { apiRoot: `http://127.0.0.1:${port}/api` })
    }))
})

describe("Discord delivery: edits, images, typing", () => {
  it.live("edits the status message in place (in its thread); an unknown message is rejected", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        const { platformRef } = yield* delivery.sendText(target(CHANNEL, THREAD), "⏳ queued", "k")
        yield* delivery.editText(target(CHANNEL, THREAD), platformRef, "▶️ running 50%")
        expect(fake.edits).toEqual([{ channelId: THREAD, messageId: platformRef, body: { content: "▶️ running 50%", allowed_mentions: { parse: [] } } }])
        expect(fake.created[0]!.body.content).toBe("▶️ running 50%")
        expect((yield* Effect.flip(delivery.editText(target(CHANNEL), "123456789", "x"))).reason).toBe("rejected")
        expect((yield* Effect.flip(delivery.editText(target(CHANNEL), "not-an-id", "x"))).reason).toBe("rejected")
      })
    ))

  it.live("sendImage uploads files[0] with its filename and content type, with a nonce", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        const receipt = yield* delivery.sendImage(target(CHANNEL, THREAD), image(4321), "entry-1:image:0")
        const [message] = fake.created
        expect(message!.channelId).toBe(THREAD)
        expect(message!.files.map(({ bytes: _, ...f }) => f)).toEqual([
          { key: "files[0]", filename: "ComfyUI_00042_.jpg", contentType: "image/jpeg", size: 4321 }
        ])
        expect(message!.files[0]!.bytes.every((b) => b === 9)).toBe(true)
        expect(message!.body).toMatchObject({
          content: "",
          attachments: [{ id: 0, filename: "ComfyUI_00042_.jpg" }],
          allowed_mentions: { parse: [] },
          enforce_nonce: true
        })
        expect(receipt).toEqual({ rung: "image", platformRef: message!.id })
        // A resend of the same item posts nothing new; a text with the same key is another message.
        expect(yield* delivery.sendImage(target(CHANNEL, THREAD), image(4321), "entry-1:image:0")).toEqual(receipt)
        yield* delivery.sendText(target(CHANNEL, THREAD), "link", "entry-1:image:0")
        expect(fake.created.length).toBe(2)
      })
    ))

  it.live("over 10 MiB is too-large without an upload; Discord's 413 is too-large; documents are unsupported", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        expect((yield* Effect.flip(delivery.sendImage(target(CHANNEL), image(DISCORD_UPLOAD_MAX_BYTES + 1), "k"))).reason).toBe("too-large")
        expect(fake.calls).toEqual([])
        expect((yield* Effect.flip(delivery.sendImage(target(CHANNEL), image(3000), "k"))).reason).toBe("too-large")
        expect(fake.created).toEqual([])
        expect((yield* Effect.flip(delivery.sendDocument(target(CHANNEL), image(10), "k"))).reason).toBe("unsupported")
        expect(fake.calls.length).toBe(1)
      }), { maxUploadBytes: 2000 }))

  it.live("typing goes to the thread; a failure is ignored", () =>
    withDelivery(({ delivery, fake }) =>
      Effect.gen(function*() {
        yield* delivery.typing(target(CHANNEL, THREAD))
        fake.answerNext("POST", `/api/v10/channels/${CHANNEL}/typing`, { status: 403, json: { message: "Missing Access", code: 50001 } })
        yield* delivery.typing(target(CHANNEL))
        yield* delivery.typing(target("nope"))
        expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
          `POST /api/v10/channels/${THREAD}/typing`,
          `POST /api/v10/channels/${CHANNEL}/typing`
        ])
      })
    ))
})
