import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer } from "effect"
import { handleInbound } from "../../src/domain/ingress/Ingress.js"
import { ReplayStore } from "../../src/ports/ReplayStore.js"
import { StoreError } from "../../src/ports/StoreError.js"
import { ADMIN_ID, aRequest } from "../support/Builders.js"
import { harness } from "./fakes.js"

const BrokenReplayStore = Layer.succeed(ReplayStore, ReplayStore.of({
  claim: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "claim" })),
  commit: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "commit" })),
  release: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "release" })),
  fail: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "fail" }))
}))

const commandText = fc.oneof(
  fc.constantFrom("/stop", "/run tpl a cat", "/approve apr_1", "/status", "/history p1", "/schedule run s1", "/jobs"),
  fc.string()
)

describe("ingress with a replay store that cannot answer", () => {
  it.effect.prop(
    "never runs a command (no backend call) and refuses the event",
    [commandText, fc.string(), fc.constantFrom(ADMIN_ID, "u1"), fc.integer({ min: 0, max: 600_000 })],
    ([text, eventKey, senderId, ttl]) =>
      Effect.gen(function*() {
        const h = harness()
        h.backend.set("interrupt", {})
        h.backend.set("submitJob", { prompt_id: "p" })
        const exit = yield* Effect.exit(
          handleInbound({ request: aRequest({ text, senderId }), eventKey, replayTtlMillis: ttl }).pipe(
            Effect.provide(Layer.merge(h.layer, BrokenReplayStore))
          )
        )
        expect(Exit.isFailure(exit)).toBe(true)
        expect(h.backend.calls).toEqual([])
        expect(h.ledger.entries).toEqual([])
      })
  )
})
