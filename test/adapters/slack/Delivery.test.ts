import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import type { DeliveryTarget } from "../../../src/domain/model/Request.js"
import { serveSlack, TEAM_A, TEAM_B, TOKEN_A, TOKEN_B } from "./harness.js"

/** Slack's PlatformDelivery: results into the right workspace, channel and thread. */
const target = (over: Partial<DeliveryTarget> = {}): DeliveryTarget => ({
  platform: "slack",
  channelId: "C0CHAN001",
  senderId: "U0USER001",
  workspaceId: TEAM_A,
  threadId: "1700000000.000100",
  ...over
})
const image = { bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), filename: "ComfyUI_0001.png", contentType: "image/png" }

describe("Slack delivery", () => {
  it.scopedLive("declares edits, no idempotent sends, pushes", () =>
    Effect.gen(function*() {
      const { delivery } = yield* serveSlack()
      expect([delivery.platform, delivery.canEdit, delivery.idempotentSends, delivery.pushes ?? true]).toEqual(["slack", true, false, true])
    }))

  it.scopedLive("sendText posts into the thread with the target workspace's token; long text is split at 4000", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const receipt = yield* served.run(served.delivery.sendText(target(), "⏳ Job p-1 is running…", "k1"))
      expect(receipt.rung).toBe("text")
      const [call] = served.api.callsTo("chat.postMessage")
      expect(receipt.platformRef).not.toBe("")
      expect(call!.token).toBe(TOKEN_A)
      expect(call!.body).toEqual({ channel: "C0CHAN001", text: "⏳ Job p-1 is running…", mrkdwn: false, thread_ts: "1700000000.000100" })
      yield* served.run(served.delivery.sendText(target({ workspaceId: TEAM_B, threadId: "" }), "x ".repeat(4500), "k2"))
      const parts = served.api.callsTo("chat.postMessage").slice(1)
      expect(parts).toHaveLength(3)
      expect(parts.every((p) => p.token === TOKEN_B && p.body.thread_ts === undefined && p.body.text.length <= 4000)).toBe(true)
    }))

  it.scopedLive("editText updates the status message with chat.update", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      yield* served.run(served.delivery.editText(target(), "1700000001.000200", "✅ Job p-1 finished <3"))
      const [call] = served.api.callsTo("chat.update")
      expect(call!.token).toBe(TOKEN_A)
      expect(call!.body).toEqual({ channel: "C0CHAN001", ts: "1700000001.000200", text: "✅ Job p-1 finished &lt;3", mrkdwn: false })
    }))

  it.scopedLive("sendImage: getUploadURLExternal, the bytes to the upload URL (no token), completeUploadExternal into the thread", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const receipt = yield* served.run(served.delivery.sendImage(target(), image, "k3"))
      expect(served.api.calls.map((c) => c.method)).toEqual(["files.getUploadURLExternal", "upload", "files.completeUploadExternal"])
      const [ticket, upload, complete] = served.api.calls
      expect(ticket!.token).toBe(TOKEN_A)
      expect(ticket!.body).toEqual({ filename: "ComfyUI_0001.png", length: "7" })
      expect(upload!.token).toBe("")
      expect([...upload!.bytes]).toEqual([...image.bytes])
      expect(upload!.headers["content-type"]).toBe("image/png")
      expect(complete!.token).toBe(TOKEN_A)
      const fileId = JSON.parse(complete!.body.files)[0].id
      expect(complete!.body).toEqual({ files: JSON.stringify([{ id: fileId, title: "ComfyUI_0001.png" }]), channel_id: "C0CHAN001", thread_ts: "1700000000.000100" })
      expect(receipt).toEqual({ rung: "image", platformRef: fileId })
      const doc = yield* served.run(served.delivery.sendDocument(target({ threadId: "" }), image, "k4"))
      expect(doc.rung).toBe("document")
      expect(served.api.callsTo("files.completeUploadExternal")[1]!.body.thread_ts).toBeUndefined()
      expect(served.logs.join("\n")).not.toContain("secret-upload-signature")
    }))

  it.scopedLive("a workspace that does not resolve is rejected without any call; a registry outage is unavailable", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const unknown = yield* Effect.either(served.run(served.delivery.sendText(target({ workspaceId: "T0UNKNOWN" }), "hi", "k")))
      expect(Either.isLeft(unknown) && unknown.left.reason).toBe("rejected")
      served.registry.down = true
      const down = yield* Effect.either(served.run(served.delivery.sendText(target(), "hi", "k")))
      expect(Either.isLeft(down) && down.left.reason).toBe("unavailable")
      expect(served.api.calls).toEqual([])
    }))

  it.scopedLive("Slack errors map to the worker's reasons and mark health", () =>
    Effect.gen(function*() {
      const served = yield* serveSlack()
      const reasonOf = (effect: Effect.Effect<unknown, { readonly reason: string }>) =>
        Effect.map(Effect.either(served.run(effect)), (e) => Either.isLeft(e) ? e.left.reason : "ok")
      served.api.answer("chat.postMessage", { status: 429, headers: { "retry-after": "1" }, json: {} })
      expect(yield* reasonOf(served.delivery.sendText(target(), "hi", "k"))).toBe("unavailable")
      served.api.answer("chat.postMessage", { json: { ok: false, error: "channel_not_found" } })
      expect(yield* reasonOf(served.delivery.sendText(target(), "hi", "k"))).toBe("rejected")
      served.api.answer("chat.postMessage", { status: 502, json: {} })
      expect(yield* reasonOf(served.delivery.sendText(target(), "hi", "k"))).toBe("unavailable")
      served.api.answer("files.getUploadURLExternal", { json: { ok: false, error: "file_size_exceeded" } })
      expect(yield* reasonOf(served.delivery.sendImage(target(), image, "k"))).toBe("too-large")
      served.api.answer("chat.update", { json: { ok: false, error: "invalid_auth" } })
      expect(yield* reasonOf(served.delivery.editText(target(), "1.2", "x"))).toBe("rejected")
      expect(served.registry.healthWrites.map((w) => [w.state, w.reason])).toEqual([
        ["degraded", "slack_ratelimited"],
        ["invalid_token", "slack_invalid_auth"]
      ])
      // invalid_token: the workspace no longer resolves.
      served.api.reset()
      expect(yield* reasonOf(served.delivery.sendText(target(), "hi", "k"))).toBe("rejected")
      expect(served.api.calls).toEqual([])
    }))
})
