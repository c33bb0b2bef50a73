import { Cause, Effect } from "effect"
import { StoreError } from "../../../ports/StoreError.js"

/** Any SQL failure of `operation` becomes `StoreError` `unavailable`; undecodable rows become `corrupt`. */
export const refail = (operation: string) => <A, E extends { readonly _tag: string }, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, StoreError, R> =>
  Effect.mapError(effect, (error) =>
    error instanceof StoreError
      ? error
      : new StoreError({ reason: error._tag === "ParseError" ? "corrupt" : "unavailable", operation, cause: error }))

/** A failure or defect while opening the database, as a typed `StoreError` (never a defect). */
export const fromCause = (operation: string) => (cause: Cause.Cause<unknown>): StoreError => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some" && failure.value instanceof StoreError) return failure.value
  return new StoreError({ reason: "unavailable", operation, cause: Cause.squash(cause) })
}
