import { Context, type Effect } from "effect"

/**
 * Hands a freshly recorded ledger entry to the delivery worker, so it is followed at once instead
 * of at the worker's next sweep of unfinished entries. Implemented by the worker's layer.
 * Enqueueing never fails and never blocks: an id already followed (or queued) is ignored, and an
 * id that is lost (the process stops) is still in the ledger and resumes on the next start.
 */
export class DeliveryQueue extends Context.Tag("ports/DeliveryQueue")<DeliveryQueue, {
  readonly enqueue: (entryId: string) => Effect.Effect<void>
}>() {}
