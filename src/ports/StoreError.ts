import { Schema } from "effect"

/**
 * A storage port could not do what was asked (disk full, database gone, corrupt row).
 * Callers on a security path treat it as a refusal: a store failure never admits anything.
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  reason: Schema.Literal("unavailable", "corrupt", "invalid-key"),
  operation: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}
