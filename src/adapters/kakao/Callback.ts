import { Duration, Effect, Schema } from "effect"
import type { SkillResponse } from "./SkillResponse.js"

/**
 * Delivery of a late SkillResponse to Kakao's `callbackUrl` (callback mode, bug K4 fixed).
 * The URL is single-use and came in an unauthenticated request, so: it is checked against an
 * allowed-target rule before use, redirects are not followed, the answer body is not read, the
 * call is bounded by a timeout, it is not retried, and the URL is never logged.
 */
export class KakaoCallbackError extends Schema.TaggedError<KakaoCallbackError>()("KakaoCallbackError", {
  reason: Schema.Literal("unreachable", "rejected"),
  status: Schema.optional(Schema.Number)
}) {}

export const postCallback = (
  url: URL,
  response: SkillResponse,
  timeoutMillis: number
): Effect.Effect<void, KakaoCallbackError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const answer = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(response),
        redirect: "error",
        signal
      })
      await answer.body?.cancel()
      return answer.status
    },
    catch: () => new KakaoCallbackError({ reason: "unreachable" })
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.millis(timeoutMillis),
      onTimeout: () => new KakaoCallbackError({ reason: "unreachable" })
    }),
    Effect.flatMap((status) =>
      status >= 200 && status < 300 ? Effect.void : new KakaoCallbackError({ reason: "rejected", status })
    )
  )
