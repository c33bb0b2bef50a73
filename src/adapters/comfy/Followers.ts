import { Clock, Deferred, Duration, Effect, Either, Option, PubSub, Queue, Ref, Stream } from "effect"
import type { Backend } from "../../ports/Backend.js"
import { ComfyFollowError, isTerminalSignal, type JobSignal } from "../../ports/ComfyEvents.js"
import { type HubMessage, promptOf } from "./ComfyMessages.js"
import { failureMessage, historyOutcome, INTERRUPTED, type Terminal } from "./HistoryOutcome.js"
import { type JobsSnapshot, queuePlace, type QueuePositions } from "./QueuePositions.js"

/**
 * One follower per `follow(promptId)` call. It subscribes to the socket hub first, then asks
 * `/history` once, so a prompt that ended before the call resolves at once and nothing that
 * happens meanwhile is missed. Afterwards:
 *
 * - live frames of this prompt become Started / Node / Progress; `execution_error` and
 *   `execution_interrupted` end it with Failed at once;
 * - the terminal Succeeded always comes from `/history` (§5.4 steps 1-2), so a follower that
 *   joined late or missed `executed` frames still gets every image. History is asked again when
 *   the prompt reports its end (`execution_success`, `executing` with node null), when ComfyUI's
 *   queue shrinks (see below), when the socket goes up or down, and on a timer: the reference's schedule
 *   (after a miss wait 1, 2, 4, 8, then 15 s each) while the socket is down, a slower safety
 *   interval while it is up. The safety polls matter: ComfyUI sends a prompt's frames only to the
 *   client id that queued it, and OpenClaw queues with its own, so for OpenClaw's prompts the
 *   socket usually only brings `status` broadcasts (the queue-shrank wake-ups).
 * - History failures other than `invalid-id` are retried on the schedule (as the reference).
 * - Queue position (when `positions` is given): while the prompt has not started, the follower
 *   asks the shared jobs fetcher (QueuePositions.ts) for a snapshot when it starts, on every
 *   `status` broadcast (ComfyUI sends one whenever its queue changes) and on every history poll
 *   (the only trigger while the socket is down). A pending prompt yields `Queued {ahead}` when
 *   `ahead` changed; a prompt the jobs list shows `in_progress` yields `Started` (OpenClaw's
 *   prompts send no `execution_start` to this client); one shown ended wakes a history check. An
 *   unlisted prompt or an unreadable list changes nothing. Asking stops once the prompt started
 *   (by frame or by list) or ended.
 * - Queue shrank (some prompt ended): with a usable jobs list, the follower asks for a fresh
 *   snapshot at once (`refreshNow`: one shared call for all followers, not held behind the 1 s
 *   spacing of position lookups, so the result is not late) and only the prompt it shows ended
 *   checks its history, so one change costs one `/history` call instead of one per follower. A
 *   follower falls back to checking history at once when there are no positions, the last list
 *   was not usable, the list does not show its prompt, or the snapshot asked for fails.
 *
 * Exactly one terminal signal ends the stream; `timeout` ends it when `deadlineMillis` (Clock)
 * passes first. Closing the layer ends every follower's stream (without a terminal signal).
 */

export interface FollowTiming {
  /** Waits after each miss while the socket is down; the last one repeats. */
  readonly pollScheduleMillis: ReadonlyArray<number>
  /** Wait between safety polls while the socket is up. */
  readonly upPollMillis: number
}

export interface FollowDeps {
  readonly backend: Backend["Type"]
  readonly hub: PubSub.PubSub<HubMessage>
  readonly linkUp: Ref.Ref<boolean>
  /** Completed when the layer closes. */
  readonly shutdown: Deferred.Deferred<void>
  readonly timing: FollowTiming
  /** Queue positions from the jobs list; without it `Queued.ahead` stays undefined. */
  readonly positions?: QueuePositions
}

/** Signals waiting for a slow consumer; beyond this the oldest non-terminal ones are dropped. */
const OUT_CAPACITY = 256

type Item = JobSignal | { readonly _tag: "Stop"; readonly error: ComfyFollowError }

type Check =
  | { readonly _tag: "Ended"; readonly item: Item }
  | { readonly _tag: "Pending" }

const pending: Check = { _tag: "Pending" }

const toSignal = (item: Item): Effect.Effect<JobSignal, ComfyFollowError> =>
  item._tag === "Stop" ? Effect.fail(item.error) : Effect.succeed(item)

export const makeFollow = (deps: FollowDeps) =>
(promptId: string, options: { readonly deadlineMillis: number }): Stream.Stream<JobSignal, ComfyFollowError> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    if (yield* Deferred.isDone(deps.shutdown)) return Stream.empty
    const messages = yield* PubSub.subscribe(deps.hub)
    const out = yield* Queue.sliding<Item>(OUT_CAPACITY)
    const wake = yield* Queue.sliding<void>(1)
    const lock = yield* Effect.makeSemaphore(1)
    const hinted = yield* Ref.make(false)
    let ended = false

    /**
     * Everything reaches the consumer through here; nothing passes after the first end. `decide`
     * runs under the lock, so a decision made from shared flags is emitted before anything later.
     */
    const emitWhen = (decide: () => Item | undefined) =>
      lock.withPermits(1)(Effect.suspend(() => {
        const item = ended ? undefined : decide()
        if (item === undefined) return Effect.void
        if (item._tag === "Stop" || isTerminalSignal(item)) ended = true
        return out.offer(item)
      }))
    const emit = (item: Item) => emitWhen(() => item)

    const check: Effect.Effect<Check> = deps.backend.history(promptId).pipe(
      Effect.tapError((e) => Effect.logDebug(`history of prompt ${promptId} not read (${e.reason}); asking again later`)),
      Effect.either,
      Effect.map((result): Check =>
        Either.match(result, {
          onLeft: (error) =>
            error.reason === "invalid-id"
              ? { _tag: "Ended", item: { _tag: "Stop", error: new ComfyFollowError({ reason: "invalid-id", message: error.message }) } }
              : pending,
          onRight: (body) =>
            Option.match(historyOutcome(promptId, body), {
              onNone: () => pending,
              onSome: (terminal: Terminal): Check => ({ _tag: "Ended", item: terminal })
            })
        })
      )
    )

    const wakeUp = Effect.asVoid(wake.offer(undefined))
    const hint = Effect.zipRight(Ref.set(hinted, true), wakeUp)

    let started = false
    /** The prompt left the queue as far as this follower knows: no more position lookups. */
    let dequeued = false
    /** The jobs list showed the prompt ended (its history check was woken once for it). */
    let listedEnded = false
    /** The last usable list did not show the prompt: the list cannot tell when it ends. */
    let unlisted = false
    /** A queue shrink is waiting for the snapshot asked for it (cleared by the wake it leads to). */
    let shrinkPending = false
    let lastAhead: number | undefined
    let lastNode: string | undefined

    const askPosition = Effect.suspend(() =>
      deps.positions === undefined || dequeued || ended ? Effect.void : deps.positions.refresh
    )

    /** Wakes the history check a pending queue shrink was waiting for, if one is. */
    const wakeForShrink = Effect.suspend(() => {
      if (!shrinkPending) return Effect.void
      shrinkPending = false
      return wakeUp
    })

    const onSnapshot = (answer: Option.Option<JobsSnapshot>): Effect.Effect<void> => {
      if (Option.isNone(answer)) return wakeForShrink
      const place = queuePlace(promptId, answer.value)
      unlisted = place._tag === "Unknown"
      switch (place._tag) {
        case "Waiting":
          if (dequeued) return Effect.void
          return emitWhen(() => {
            if (dequeued || place.ahead === lastAhead) return undefined
            lastAhead = place.ahead
            return { _tag: "Queued", ahead: place.ahead }
          })
        case "Running":
          return emitWhen(() => {
            // A frame that came meanwhile already told (or showed past) the start.
            if (dequeued || started) return undefined
            dequeued = true
            started = true
            return { _tag: "Started" }
          })
        case "Ended":
          dequeued = true
          // Once per listing as ended, or again for a later shrink (history may lag the list).
          if (listedEnded && !shrinkPending) return Effect.void
          listedEnded = true
          shrinkPending = false
          return hint
        case "Unknown":
          return wakeForShrink
      }
    }

    /** Some prompt ended: let the jobs list say whether it was this one (see the module comment). */
    const onQueueShrank = Effect.suspend(() => {
      const positions = deps.positions
      if (positions === undefined || unlisted) return wakeUp
      return Effect.flatMap(positions.usable, (usable) => {
        if (!usable) return wakeUp
        shrinkPending = true
        return positions.refreshNow
      })
    })

    const route = (message: HubMessage): Effect.Effect<void> => {
      if (message._tag === "Link") return wakeUp
      if (message._tag === "QueueShrank") return onQueueShrank
      if (message._tag === "Status") return askPosition
      if (promptOf(message) !== promptId) return Effect.void
      // Any frame of this prompt means it runs (or ran): its position no longer matters.
      dequeued = true
      switch (message._tag) {
        case "Started":
          return emitWhen(() => {
            if (started) return undefined
            started = true
            return { _tag: "Started" }
          })
        case "Executing":
          if (message.node === undefined) return hint
          lastNode = message.node
          return emit({ _tag: "Node", node: message.node, label: message.node })
        case "Progress": {
          const node = message.node ?? lastNode ?? ""
          return emit({ _tag: "Progress", node, label: node, value: message.value, max: message.max })
        }
        case "Success":
          return hint
        case "Error":
          return emit({ _tag: "Failed", message: failureMessage(message.report) })
        case "Interrupted":
          return emit({ _tag: "Failed", message: INTERRUPTED })
        default:
          return Effect.void
      }
    }

    const schedule = deps.timing.pollScheduleMillis
    const poll = Effect.gen(function*() {
      for (let misses = 1;; misses++) {
        const up = (yield* Ref.get(deps.linkUp)) && !(yield* Ref.get(hinted))
        const delay = up ? deps.timing.upPollMillis : schedule[Math.min(misses, schedule.length) - 1] ?? 15_000
        yield* Effect.raceFirst(Effect.sleep(Duration.millis(delay)), Queue.take(wake))
        yield* askPosition
        const result = yield* check
        if (result._tag === "Ended") return yield* emit(result.item)
      }
    })

    const deadline = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      yield* Effect.sleep(Duration.millis(Math.max(0, options.deadlineMillis - now)))
      yield* emit({
        _tag: "Stop",
        error: new ComfyFollowError({ reason: "timeout", message: `no result for prompt ${promptId} before the deadline` })
      })
    })

    const first = yield* check
    if (first._tag === "Ended") {
      yield* emit(first.item)
    } else {
      yield* emit({ _tag: "Queued", ahead: undefined })
      if (deps.positions !== undefined) {
        const snapshots = yield* deps.positions.subscribe
        yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(snapshots), onSnapshot)))
        yield* askPosition
      }
      yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(messages), route)))
      yield* Effect.forkScoped(poll)
      yield* Effect.forkScoped(deadline)
    }
    return Stream.fromQueue(out).pipe(
      Stream.mapEffect(toSignal),
      Stream.takeUntil(isTerminalSignal),
      Stream.interruptWhen(Deferred.await(deps.shutdown))
    )
  }))
