import { Clock, Effect, Layer, Ref } from "effect"
import { type ClaimOutcome, ReplayStore } from "../../../../src/ports/ReplayStore.js"
import { StoreError } from "../../../../src/ports/StoreError.js"

type State = "claimed" | "retryable" | "delivered" | "failed"
interface Entry { readonly state: State; readonly expiresAt: number }

/** A small clock-driven ReplayStore for these tests (the real ones live with the storage work). */
export const ReplayStoreMemory = Layer.effect(ReplayStore, Effect.gen(function*() {
  const entries = yield* Ref.make(new Map<string, Entry>())
  const live = (key: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(Ref.get(entries), (m) => {
        const e = m.get(key)
        return e !== undefined && e.expiresAt > now ? e : undefined
      }))
  const put = (key: string, state: State, ttl: number) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.update(entries, (m) => new Map(m).set(key, { state, expiresAt: now + ttl })))
  const move = (from: ReadonlyArray<State>, to: State) => (key: string, ttl: number) =>
    Effect.flatMap(live(key), (e) => (e !== undefined && from.includes(e.state) ? put(key, to, ttl) : Effect.void))
  return ReplayStore.of({
    claim: (key, ttl) =>
      Effect.flatMap(live(key), (e): Effect.Effect<ClaimOutcome> => {
        if (e === undefined) return Effect.as(put(key, "claimed", ttl), "claimed")
        switch (e.state) {
          case "retryable": return Effect.as(put(key, "claimed", ttl), "retry_claimed")
          case "claimed": return Effect.succeed("duplicate_in_flight")
          case "delivered": return Effect.succeed("duplicate_after_success")
          case "failed": return Effect.succeed("duplicate_after_terminal_failure")
        }
      }),
    commit: move(["claimed", "retryable"], "delivered"),
    release: move(["claimed"], "retryable"),
    fail: move(["claimed", "retryable"], "failed")
  })
}))

/** Every operation fails: the store is gone. */
export const ReplayStoreBroken = Layer.succeed(ReplayStore, ReplayStore.of({
  claim: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "claim" })),
  commit: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "commit" })),
  release: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "release" })),
  fail: () => Effect.fail(new StoreError({ reason: "unavailable", operation: "fail" }))
}))
