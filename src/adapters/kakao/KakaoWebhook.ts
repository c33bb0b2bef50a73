import { Cause, Duration, Effect, Either, Exit, Fiber, Metric, Option } from "effect"
import type { IngressRefused } from "../../domain/Errors.js"
import { Texts } from "../../domain/render/Texts.js"
import { handleInbound, type IngressOutcome } from "../../domain/ingress/Ingress.js"
import { inboundCounter } from "../../domain/model/Metrics.js"
import type { Backend } from "../../ports/Backend.js"
import type { JobLedger } from "../../ports/JobLedger.js"
import type { RateLimiter } from "../../ports/RateLimiter.js"
import type { ReplayStore } from "../../ports/ReplayStore.js"
import type { Settings } from "../../ports/Settings.js"
import { isPublicHttpsUrl } from "../http/PublicUrl.js"
import type { RawRequest, RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { postCallback } from "./Callback.js"
import { callbackUrlOf, inboundEventOf, untrustedNote } from "./Inbound.js"
import { decodeSkillRequest, malformedText } from "./Schema.js"
import { callbackAck, formatSkillResponse, type SkillResponse, skillResponseOf } from "./SkillResponse.js"

/**
 * The Kakao i Open Builder skill webhook (spec platforms-webhook-polling.md §7, bugs K2-K4 fixed).
 *
 * - Malformed bodies (bad UTF-8, not JSON, not an object, no user id) get a 400 plain-text
 *   reason and run nothing.
 * - Every other request goes through `handleInbound` once. A duplicate is answered 200 with a
 *   valid SkillResponse and not run again; a refused event (replay store down) gets a 503 with a
 *   SkillResponse error text and runs nothing.
 * - Kakao waits about 5 s. When the request carries an allowed `callbackUrl` and the command is
 *   not done after `callbackAfterMillis` (4 s), the answer is `useCallback` and the final
 *   SkillResponse is POSTed to the callbackUrl when ready; the command still runs exactly once.
 *   Without a callbackUrl the answer waits for the reply.
 * There is no request signing on Kakao (K1): the strict profile gate at startup covers it.
 */

export type KakaoRouteRequirements = ReplayStore | Backend | JobLedger | RateLimiter | Settings

export interface KakaoRouteOptions {
  readonly path: string
  /** OPENCLAW_CONNECTOR_KAKAO_ALLOWED_USERS: only logged here; the core decides trust. */
  readonly allowedUsers: ReadonlyArray<string>
  /** Switch to callback mode after this long (default 4000 ms, inside Kakao's 5 s). */
  readonly callbackAfterMillis?: number
  /** Which callback URLs may be POSTed to (default: https to a host that is not a private IP literal). */
  readonly callbackUrlAllowed?: (url: URL) => boolean
  /** Timeout of the callback POST (default 10 s). */
  readonly callbackTimeoutMillis?: number
}

export const DUPLICATE_TEXT = "This request was already received."
export const UNAVAILABLE_TEXT = Texts.unavailable
export const INTERNAL_ERROR_TEXT = "[Error] Internal Error"

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" }
const json = (status: number, body: unknown): RawResponse => ({ status, headers: JSON_HEADERS, body: JSON.stringify(body) })

const OUTCOMES = ["handled", "duplicate", "refused", "malformed", "error"] as const
type Outcome = typeof OUTCOMES[number]
const counters = Object.fromEntries(OUTCOMES.map((o) => [o, inboundCounter("kakao", o)])) as Record<
  Outcome,
  Metric.Metric.Counter<number>
>
/** Counts one inbound Kakao event by how it ended. */
const count = (outcome: Outcome) => Metric.increment(counters[outcome])

interface Rendered {
  readonly status: number
  readonly response: SkillResponse
}

type Result = Exit.Exit<Either.Either<IngressOutcome, IngressRefused>>

/**
 * The answer for a finished pipeline, counted once. A defect in the core (a bug, never input)
 * has already released the replay claim; the user gets an error text with a 500 status.
 */
const settle = (result: Result): Effect.Effect<Rendered> => {
  if (Exit.isFailure(result)) {
    return Effect.logError("Kakao command failed with a defect", Cause.pretty(result.cause)).pipe(
      Effect.zipRight(count("error")),
      Effect.as({ status: 500, response: formatSkillResponse(INTERNAL_ERROR_TEXT) })
    )
  }
  return Either.match(result.value, {
    onLeft: () =>
      Effect.as(count("refused"), { status: 503, response: formatSkillResponse(UNAVAILABLE_TEXT) }),
    onRight: (outcome) =>
      outcome._tag === "Replied"
        ? Effect.as(count("handled"), { status: 200, response: skillResponseOf(outcome.reply) })
        : Effect.as(count("duplicate"), { status: 200, response: formatSkillResponse(DUPLICATE_TEXT) })
  })
}

const parseAllowed = (raw: string, allowed: (url: URL) => boolean): URL | undefined => {
  try {
    const url = new URL(raw)
    return allowed(url) ? url : undefined
  } catch {
    return undefined
  }
}

export const kakaoRoute = (options: KakaoRouteOptions): WebhookRoute<KakaoRouteRequirements> => {
  const callbackAfter = Duration.millis(options.callbackAfterMillis ?? 4_000)
  const callbackAllowed = options.callbackUrlAllowed ?? ((url: URL) => isPublicHttpsUrl(url))
  const callbackTimeout = options.callbackTimeoutMillis ?? 10_000

  /** Posts the late result; a failed delivery is logged (the URL is single-use: no retry). */
  const deliverLate = (fiber: Fiber.Fiber<Either.Either<IngressOutcome, IngressRefused>>, url: URL) =>
    Effect.gen(function*() {
      const rendered = yield* settle(yield* Fiber.await(fiber))
      yield* postCallback(url, rendered.response, callbackTimeout).pipe(
        Effect.catchTag("KakaoCallbackError", (e) =>
          Effect.logWarning("Kakao callback delivery failed", e.reason, e.status ?? ""))
      )
    }).pipe(Effect.onInterrupt(() => Fiber.interrupt(fiber)))

  const handle = Effect.fnUntraced(function*(request: RawRequest) {
    const decoded = decodeSkillRequest(request.body)
    if (Either.isLeft(decoded)) {
      yield* count("malformed")
      return { status: 400, body: malformedText(decoded.left) } satisfies RawResponse
    }
    const skill = decoded.right
    const userId = skill.userRequest.user.id
    const note = untrustedNote(options.allowedUsers, userId)
    // Debug, not info: every stranger message would otherwise write a line (trust is decided by the core).
    if (note !== undefined) yield* Effect.logDebug(`Untrusted Kakao message from user=${userId} (${note})`)

    const run = Effect.either(handleInbound(inboundEventOf(skill, request.body)))
    const rawCallback = callbackUrlOf(skill)
    const callbackUrl = rawCallback === undefined ? undefined : parseAllowed(rawCallback, callbackAllowed)
    if (rawCallback !== undefined && callbackUrl === undefined) {
      yield* Effect.logWarning("Kakao callbackUrl refused by the allowed-target rule; answering synchronously")
    }

    if (callbackUrl === undefined) {
      const rendered = yield* settle(yield* Effect.exit(run))
      return json(rendered.status, rendered.response)
    }
    // The fork is a child of this request's fiber, which stays alive through `after`.
    const fiber = yield* Effect.fork(run)
    const early = yield* Fiber.await(fiber).pipe(Effect.timeoutOption(callbackAfter))
    if (Option.isSome(early)) {
      const rendered = yield* settle(early.value)
      return json(rendered.status, rendered.response)
    }
    return { ...json(200, callbackAck()), after: deliverLate(fiber, callbackUrl) } satisfies RawResponse
  })

  return { method: "POST", path: options.path, handle }
}
