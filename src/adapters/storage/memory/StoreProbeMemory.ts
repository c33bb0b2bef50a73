import { Effect, Layer } from "effect"
import { StoreProbe } from "../../../ports/StoreProbe.js"

/** Memory storage is always readable and writable. */
export const StoreProbeMemory: Layer.Layer<StoreProbe> = Layer.succeed(StoreProbe, StoreProbe.of({ probe: Effect.void }))
