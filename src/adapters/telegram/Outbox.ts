import { Deferred, Duration, Effect, Either, Fiber, FiberSet, Random, type Scope } from "effect"
import type { InlineKeyboardMarkup } from "grammy/types"
import type { RenderedButton } from "../../domain/callbacks/Press.js"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"
import type { ChatTarget } from "./Inbound.js"
import { type TelegramApi, TelegramCallError } from "./TelegramApi.js"

/**
 * Outbound messages (issue 4, users-and-peers §1.3 F, G): one ordered queue per chat, so a chat's
 * messages arrive in order and a 429 for one chat holds only that chat; texts split at 4096
 * characters on line boundaries, buttons on the last piece; plain text (never `parse_mode`).
 * A failed send is retried as a delivery (the command never runs again, bug T1 fixed):
 * - 429: wait exactly `retry_after` (when it is at most `maxRetryAfterSeconds`), then send the
 *   same message again, up to `maxRateLimitWaits` times;
 * - 5xx and network failures: exponential backoff with jitter, at most `maxAttempts` attempts.
 *   An unanswered request may have been delivered: resending it favours "at least once" (a
 *   duplicate text) over a lost reply, as architecture.md asks of deliveries;
 * - a forum topic that no longer exists: the message goes to the parent chat instead;
 * - anything else (400, 403 blocked, 401): given up at once and logged.
 * Job results (Delivery.ts) go through the same queues with `submit`: their own retry rule, and
 * the caller waits for the outcome.
 */

export interface DeliveryPolicy {
  readonly maxAttempts: number
  readonly maxRateLimitWaits: number
  readonly maxRetryAfterSeconds: number
  readonly baseBackoffMillis: number
  readonly maxBackoffMillis: number
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  maxAttempts: 6,
  maxRateLimitWaits: 5,
  maxRetryAfterSeconds: 300,
  baseBackoffMillis: 500,
  maxBackoffMillis: 30_000
}

export type DeliveryStep =
  | { readonly _tag: "Retry"; readonly delayMillis: number; readonly dropThread: boolean }
  | { readonly _tag: "GiveUp"; readonly why: string }

export interface DeliveryState {
  /** 5xx/network failures so far (not counting this one). */
  readonly failures: number
  /** 429 waits so far. */
  readonly rateLimitWaits: number
  readonly hasThread: boolean
}

const TOPIC_GONE = /thread not found|topic_deleted|topic_closed|topic not found/i

/** What to do after a failed send (pure; `jitter` in [0, 1) spreads backoffs by ±20 %). */
export const nextDeliveryStep = (
  error: TelegramCallError,
  state: DeliveryState,
  policy: DeliveryPolicy,
  jitter: number
): DeliveryStep => {
  switch (error.reason) {
    case "rate-limited": {
      if (state.rateLimitWaits >= policy.maxRateLimitWaits) {
        return { _tag: "GiveUp", why: `still rate limited after ${state.rateLimitWaits} waits` }
      }
      const seconds = error.retryAfterSeconds ?? 1
      if (seconds > policy.maxRetryAfterSeconds) {
        return { _tag: "GiveUp", why: `Telegram asks to wait ${seconds} s (more than ${policy.maxRetryAfterSeconds} s)` }
      }
      return { _tag: "Retry", delayMillis: Math.ceil(seconds * 1000), dropThread: false }
    }
    case "server":
    case "unreachable": {
      if (state.failures + 1 >= policy.maxAttempts) {
        return { _tag: "GiveUp", why: `${error.reason} after ${state.failures + 1} attempts` }
      }
      const base = Math.min(policy.baseBackoffMillis * 2 ** state.failures, policy.maxBackoffMillis)
      return { _tag: "Retry", delayMillis: Math.round(base * (0.8 + 0.4 * jitter)), dropThread: false }
    }
    case "rejected":
      if (state.hasThread && TOPIC_GONE.test(error.description ?? "")) return { _tag: "Retry", delayMillis: 0, dropThread: true }
      return { _tag: "GiveUp", why: `rejected (HTTP ${error.status ?? "?"})` }
    default:
      return { _tag: "GiveUp", why: `${error.reason} (HTTP ${error.status ?? "?"})` }
  }
}

export const TELEGRAM_TEXT_LIMIT = 4096

/** The reply's buttons as an inline keyboard, two per row; `callback_data` is the stored-button token. */
export const keyboardOf = (buttons: ReadonlyArray<RenderedButton>): InlineKeyboardMarkup | undefined => {
  if (buttons.length === 0) return undefined
  const rows: Array<Array<{ text: string; callback_data: string; style: "primary" | "danger" }>> = []
  for (const [i, b] of buttons.entries()) {
    if (i % 2 === 0) rows.push([])
    rows[rows.length - 1]!.push({ text: b.label, callback_data: b.data, style: b.style })
  }
  return { inline_keyboard: rows }
}

export interface OutgoingMessage {
  readonly text: string
  readonly replyMarkup: InlineKeyboardMarkup | undefined
}

/** Pieces of at most 4096 characters; the keyboard rides on the last one. */
export const messagesOf = (text: string, buttons: ReadonlyArray<RenderedButton>): ReadonlyArray<OutgoingMessage> => {
  const markup = keyboardOf(buttons)
  const pieces = isBlank(text) ? (markup === undefined ? [] : ["…"]) : chunkText(text, TELEGRAM_TEXT_LIMIT)
  return pieces.map((piece, i) => ({ text: piece, replyMarkup: i === pieces.length - 1 ? markup : undefined }))
}

/** Decides what follows a failed call of a queued job (`nextDeliveryStep` with a policy bound). */
export type StepRule = (error: TelegramCallError, state: DeliveryState, jitter: number) => DeliveryStep

export interface TelegramOutbox {
  /** Queues the text (split) and buttons for `target`; returns at once and never fails. */
  readonly send: (target: ChatTarget, text: string, buttons?: ReadonlyArray<RenderedButton>) => Effect.Effect<void>
  /**
   * Queues one call behind the chat's other messages and waits for its outcome: retried as
   * `rule` says (429s wait `retry_after` in this queue, holding only this chat), then the call's
   * result or its last error. The call gets the target to use (a vanished topic is dropped).
   * A full queue or a closing outbox fails at once (`unreachable`, never sent).
   */
  readonly submit: <A>(
    target: ChatTarget,
    method: string,
    call: (target: ChatTarget) => Effect.Effect<A, TelegramCallError>,
    rule: StepRule
  ) => Effect.Effect<A, TelegramCallError>
  /** Runs `work` with the typing indicator shown in `target`, renewed every few seconds. */
  readonly whileTyping: <A, E, R>(target: ChatTarget, work: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export interface OutboxOptions {
  readonly policy?: DeliveryPolicy
  /** Telegram shows "typing" for about 5 s; renewed at this interval (default 4 s). */
  readonly typingIntervalMillis?: number
  /** Messages waiting per chat beyond which new ones are dropped, logged (default 200). */
  readonly maxQueuedPerChat?: number
  /** Sends in flight across all chats (default 8). */
  readonly maxConcurrentSends?: number
  /** On shutdown, how long queued messages may still go out (default 10 s). */
  readonly drainMillis?: number
}

interface Job {
  target: ChatTarget
  /** For logs: the Bot API method. */
  readonly method: string
  readonly attempt: (target: ChatTarget) => Effect.Effect<unknown, TelegramCallError>
  readonly rule: StepRule
  /** A reply is fire-and-forget (a give-up is logged as a warning); a submitted call has a waiter. */
  readonly settle: ((outcome: Either.Either<unknown, TelegramCallError>) => Effect.Effect<void>) | undefined
  /** Its waiter went away (interrupted): not tried, or not tried again. */
  cancelled: boolean
}

const notQueued = (method: string, why: string, neverSent: boolean) =>
  new TelegramCallError({ method, reason: "unreachable", neverSent, description: why })

/** The outbox lives in the caller's scope: closing it drains the queues (bounded), then stops. */
export const makeTelegramOutbox = (
  api: TelegramApi,
  options: OutboxOptions = {}
): Effect.Effect<TelegramOutbox, never, Scope.Scope> =>
  Effect.gen(function*() {
    const policy = options.policy ?? defaultDeliveryPolicy
    const maxQueued = options.maxQueuedPerChat ?? 200
    const typingEvery = Duration.millis(options.typingIntervalMillis ?? 4_000)
    const sendPermits = yield* Effect.makeSemaphore(options.maxConcurrentSends ?? 8)
    const queues = new Map<number, Array<Job>>()
    const workers = yield* FiberSet.make<void, never>()
    let closing = false
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => void (closing = true)).pipe(
        Effect.zipRight(Effect.interruptible(FiberSet.awaitEmpty(workers))),
        Effect.timeoutOption(Duration.millis(options.drainMillis ?? 10_000)),
        Effect.flatMap((done) => done._tag === "None" ? Effect.logWarning("Telegram outbox closed with messages still queued") : Effect.void)
      )
    )
    const replyRule: StepRule = (error, state, jitter) => nextDeliveryStep(error, state, policy, jitter)

    const deliver = (job: Job, chatId: number) =>
      Effect.gen(function*() {
        let failures = 0
        let rateLimitWaits = 0
        for (;;) {
          if (job.cancelled) return
          const sent = yield* Effect.either(sendPermits.withPermits(1)(job.attempt(job.target)))
          if (sent._tag === "Right") return yield* job.settle?.(sent) ?? Effect.void
          const error = sent.left
          const step = job.rule(error, { failures, rateLimitWaits, hasThread: job.target.threadId !== undefined }, yield* Random.next)
          if (step._tag === "GiveUp") {
            if (job.settle !== undefined) {
              yield* Effect.logInfo(`Telegram ${job.method} to chat ${chatId} failed: ${step.why}`, error.description ?? "")
              return yield* job.settle(sent)
            }
            return yield* Effect.logWarning(`Telegram message to chat ${chatId} not delivered: ${step.why}`, error.description ?? "")
          }
          if (error.reason === "rate-limited") rateLimitWaits++
          else if (error.reason !== "rejected") failures++
          if (step.dropThread) {
            yield* Effect.logWarning(`Telegram topic ${job.target.threadId} of chat ${chatId} is gone; delivering to the chat itself`)
            job.target = { chatId: job.target.chatId, threadId: undefined }
          }
          yield* Effect.logInfo(`Telegram ${job.method} failed (${error.reason}); retrying in ${step.delayMillis} ms`)
          yield* Effect.sleep(Duration.millis(step.delayMillis))
        }
      })

    /** Waiters of jobs the worker will not finish (shutdown) are told so, never left hanging. */
    const abandon = (chatId: number) =>
      Effect.suspend(() => {
        const left = queues.get(chatId) ?? []
        queues.delete(chatId)
        return Effect.forEach(left, (job, i) =>
          job.settle?.(Either.left(notQueued(job.method, "outbox closed", i > 0))) ?? Effect.void, { discard: true })
      })

    /** Sends the chat's queue in order; ends (and forgets the queue) when it is empty. */
    const worker = (chatId: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        for (;;) {
          const job = yield* Effect.sync(() => {
            const queue = queues.get(chatId)
            const head = queue?.[0]
            if (head === undefined) queues.delete(chatId)
            return head
          })
          if (job === undefined) return
          yield* deliver(job, chatId).pipe(Effect.catchAllDefect((defect) =>
            Effect.zipRight(
              Effect.logError("Telegram delivery defect", defect),
              job.settle?.(Either.left(notQueued(job.method, "delivery defect", false))) ?? Effect.void
            )
          ))
          yield* Effect.sync(() => queues.get(chatId)?.shift())
        }
      }).pipe(Effect.onInterrupt(() => abandon(chatId)))

    /** Appends to the chat's queue (starting its worker); false when the queue is full. */
    const enqueue = (chatId: number, jobs: ReadonlyArray<Job>): Effect.Effect<boolean> =>
      Effect.suspend(() => {
        const queue = queues.get(chatId)
        if (queue !== undefined) {
          if (queue.length + jobs.length > maxQueued) return Effect.succeed(false)
          queue.push(...jobs)
          return Effect.succeed(true)
        }
        queues.set(chatId, [...jobs])
        // Interruptible whatever the caller is, so closing the outbox can stop a long retry wait.
        return Effect.as(FiberSet.run(workers, Effect.interruptible(worker(chatId))), true)
      })

    const send = (target: ChatTarget, text: string, buttons: ReadonlyArray<RenderedButton> = []) =>
      Effect.gen(function*() {
        const jobs = messagesOf(text, buttons).map((message): Job => ({
          target,
          method: "sendMessage",
          attempt: (t) => api.sendMessage(t, message.text, message.replyMarkup === undefined ? {} : { replyMarkup: message.replyMarkup }),
          rule: replyRule,
          settle: undefined,
          cancelled: false
        }))
        if (jobs.length === 0) return
        if (!(yield* enqueue(target.chatId, jobs))) {
          yield* Effect.logWarning(`Telegram queue for chat ${target.chatId} is full; ${jobs.length} message(s) dropped`)
        }
      })

    const submit = <A>(
      target: ChatTarget,
      method: string,
      call: (target: ChatTarget) => Effect.Effect<A, TelegramCallError>,
      rule: StepRule
    ) =>
      Effect.gen(function*() {
        if (closing) return yield* Effect.fail(notQueued(method, "outbox closed", true))
        const done = yield* Deferred.make<A, TelegramCallError>()
        const job: Job = {
          target,
          method,
          attempt: (t) => Effect.tap(call(t), (a) => Deferred.succeed(done, a)),
          rule,
          settle: (outcome) => Either.isLeft(outcome) ? Deferred.fail(done, outcome.left) : Effect.void,
          cancelled: false
        }
        if (!(yield* enqueue(target.chatId, [job]))) {
          return yield* Effect.fail(notQueued(method, `queue for chat ${target.chatId} is full`, true))
        }
        return yield* Deferred.await(done).pipe(Effect.onInterrupt(() => Effect.sync(() => void (job.cancelled = true))))
      })

    const typingLoop = (target: ChatTarget) =>
      Effect.forever(
        Effect.zipRight(
          api.sendTyping(target).pipe(Effect.catchAll((e) => Effect.logDebug(`Telegram typing indicator failed (${e.reason})`))),
          Effect.sleep(typingEvery)
        )
      )

    const whileTyping = <A, E, R>(target: ChatTarget, work: Effect.Effect<A, E, R>) =>
      Effect.acquireUseRelease(
        // Interruptible even when the caller is not (a command runs uninterruptibly).
        Effect.fork(Effect.interruptible(typingLoop(target))),
        () => work,
        (fiber) => Fiber.interrupt(fiber)
      )

    return { send, submit, whileTyping } satisfies TelegramOutbox
  })
