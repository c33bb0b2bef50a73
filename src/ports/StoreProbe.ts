import { Context, Effect } from "effect"
import type { StoreError } from "./StoreError.js"

/** Readiness: succeeds iff the storage behind the ports can be read and written right now. */
export class StoreProbe extends Context.Tag("ports/StoreProbe")<StoreProbe, {
  readonly probe: Effect.Effect<void, StoreError>
}>() {}
