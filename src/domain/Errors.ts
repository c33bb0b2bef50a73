import { Schema } from "effect"

/**
 * An inbound event the core refused to process. Nothing was executed. Adapters answer with
 * their platform's "try again later" (never a success that would drop the event silently).
 */
export class IngressRefused extends Schema.TaggedError<IngressRefused>()("IngressRefused", {
  reason: Schema.Literal("store-unavailable", "invalid-event-key")
}) {}
