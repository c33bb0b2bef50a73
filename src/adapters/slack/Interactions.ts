import { Cause, Clock, Effect, Either, Exit, type Redacted } from "effect"
import { isButtonData } from "../../domain/callbacks/ButtonData.js"
import { handlePress } from "../../domain/callbacks/Press.js"
import type { CommandRequest } from "../../domain/model/Request.js"
import { Texts } from "../../domain/render/Texts.js"
import { field, isRecord, type JsonRecord } from "../../domain/render/Values.js"
import { makeProcessingGate } from "../http/ProcessingGate.js"
import type { RawRequest, RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { countSlack } from "./Counters.js"
import type { SlackCredential, SlackCredentials } from "./Credentials.js"
import { type SlackRouteRequirements, refuseSignature } from "./EventsRoute.js"
import { text } from "./Events.js"
import { type Conversation, postEphemeral, postReply } from "./Outbox.js"
import { signedRequestOf, verifySlackSignature } from "./Signature.js"

/**
 * `POST /slack/interactions` (spec platforms-slack-feishu.md §2.6, decisions.md "every button
 * carries a signed, expiring callback envelope"):
 * 1. `v0` signature over the raw form body: else 401. 2. `payload=<json object>`: else 400.
 * 3. Only `block_actions` whose first action's `value` is our signed button data (Press.ts) are
 *    pressed; other interactions and foreign buttons are acknowledged and ignored.
 * 4. The workspace (`team.id`) must resolve to an installation, else nothing runs (fail closed;
 *    503 when the registry cannot answer, so Slack shows the presser an error).
 * 5. 200 with an empty body (Slack shows an error after 3 s), then behind the answer:
 *    `handlePress` with who pressed (`user.id`), where (`channel.id`) and the workspace verifies
 *    the MAC and freshness, admits each button once (a press after the commit is a no-op, a
 *    failure before it can be retried), applies the class policy (an untrusted run-affecting
 *    press becomes an approval request) and runs the command.
 * 6. The answer goes into the button's thread with chat.postMessage; refusals and "try again"
 *    go only to the person who pressed (chat.postEphemeral).
 */
/** Everything the press pipeline needs: shared by the HTTP route and Socket Mode (SocketMode*.ts). */
export interface SlackInteractionPipelineOptions {
  readonly credentials: SlackCredentials
  readonly replyInThread: boolean
  readonly maxInFlight?: number
}

export interface SlackInteractionsOptions extends SlackInteractionPipelineOptions {
  readonly path: string
  readonly signingSecret: Redacted.Redacted
}

/**
 * Steps 3-6 for an authenticated interaction payload (the decoded `payload` field over HTTP, the
 * `interactive` envelope's payload in Socket Mode): the answer for Slack with the press behind it
 * in `after`.
 */
export interface SlackInteractionPipeline {
  readonly process: (payload: JsonRecord) => Effect.Effect<RawResponse, never, SlackRouteRequirements>
}

export const UNAVAILABLE_TEXT = Texts.unavailable

const ACK: RawResponse = { status: 200, body: "" }
const SLACK_ID = /^[A-Za-z0-9._-]{1,64}$/
const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The `payload` form field as a JSON object, or why not. */
export const decodeInteraction = (body: Uint8Array): Either.Either<JsonRecord, "Missing payload" | "Bad payload"> => {
  let form: URLSearchParams
  try {
    form = new URLSearchParams(utf8.decode(body))
  } catch {
    return Either.left("Bad payload")
  }
  const raw = form.get("payload") ?? ""
  if (raw === "") return Either.left("Missing payload")
  try {
    const json: unknown = JSON.parse(raw)
    return isRecord(json) ? Either.right(json) : Either.left("Bad payload")
  } catch {
    return Either.left("Bad payload")
  }
}

export interface Press {
  readonly request: CommandRequest
  readonly data: string
}

/** Who pressed which of our buttons where; undefined for anything else (or ids outside Slack's charset). */
export const pressOf = (payload: JsonRecord, replyInThread: boolean): Press | undefined => {
  if (text(payload, "type") !== "block_actions") return undefined
  const actions = field(payload, "actions")
  const action = Array.isArray(actions) ? actions[0] : undefined
  const data = text(action, "value")
  if (!isButtonData(data)) return undefined
  const user = field(payload, "user")
  const container = field(payload, "container")
  const message = field(payload, "message")
  const teamId = text(field(payload, "team"), "id") || text(payload, "team_id") || text(user, "team_id")
  const userId = text(user, "id")
  const channelId = text(field(payload, "channel"), "id") || text(container, "channel_id")
  const messageTs = text(container, "message_ts") || text(message, "ts")
  const threadTs = text(message, "thread_ts") || text(container, "thread_ts") || (replyInThread ? messageTs : "")
  if (![teamId, userId, channelId].every((id) => SLACK_ID.test(id))) return undefined
  if (threadTs !== "" && !SLACK_ID.test(threadTs)) return undefined
  return {
    data,
    request: {
      platform: "slack",
      senderId: userId,
      channelId,
      username: text(user, "username") || text(user, "name") || userId,
      messageId: text(action, "action_ts") || messageTs,
      text: "",
      workspaceId: teamId,
      threadId: threadTs,
      channelKind: channelId.startsWith("D") ? "dm" : channelId.startsWith("G") ? "group" : "channel",
      mentioned: true
    }
  }
}

export const makeSlackInteractionPipeline = (options: SlackInteractionPipelineOptions): Effect.Effect<SlackInteractionPipeline> =>
  Effect.map(makeProcessingGate(options.maxInFlight ?? 64), (gate) => {
    const { credentials } = options

    const processPress = (press: Press, credential: SlackCredential) =>
      Effect.gen(function*() {
        const { request } = press
        const conversation: Conversation = { channelId: request.channelId, threadTs: request.threadId }
        const ephemeral = (answer: string) => postEphemeral(credentials, credential, conversation, request.senderId, answer)
        const exit = yield* Effect.exit(Effect.either(handlePress(request, press.data)))
        if (Exit.isFailure(exit)) {
          yield* countSlack("error")
          yield* Effect.logError("Slack button press failed with a defect", Cause.pretty(exit.cause))
          return yield* ephemeral(Texts.internalError)
        }
        if (Either.isLeft(exit.value)) {
          yield* countSlack("refused")
          yield* Effect.logWarning(`Slack button press not run: replay store unavailable (${exit.value.left.reason})`)
          return yield* ephemeral(UNAVAILABLE_TEXT)
        }
        const outcome = exit.value.right
        switch (outcome._tag) {
          case "Duplicate":
            yield* countSlack("duplicate")
            return yield* Effect.logInfo(`Slack button press in ${request.channelId} already handled; ignored`)
          case "Rejected":
            yield* countSlack("handled")
            yield* Effect.logInfo(`Slack button press refused: ${outcome.reason}`)
            return yield* ephemeral(outcome.text)
          case "Replied":
            yield* countSlack("handled")
            return yield* postReply(credentials, credential, conversation, outcome.reply)
        }
      })

    const processPayload = Effect.fnUntraced(function*(payload: JsonRecord) {
      const press = pressOf(payload, options.replyInThread)
      if (press === undefined) {
        yield* countSlack("ignored")
        yield* Effect.logDebug(`Slack interaction ignored (${text(payload, "type").slice(0, 40) || "no type"})`)
        return ACK
      }
      const resolved = yield* credentials.resolve(press.request.workspaceId)
      if (resolved._tag === "Missing") {
        yield* countSlack(resolved.transient ? "refused" : "unbound")
        yield* Effect.logWarning(
          `Slack button press from workspace ${press.request.workspaceId} not handled: no usable installation (${resolved.reason})`
        )
        // Slack shows the presser an error for a non-200 answer: right when a retry may work.
        return resolved.transient ? { status: 503, body: "" } satisfies RawResponse : ACK
      }
      return yield* gate.answerThen(ACK, processPress(press, resolved.credential))
    })

    return { process: processPayload } satisfies SlackInteractionPipeline
  })

export const slackInteractionsRoute = (
  options: SlackInteractionsOptions
): Effect.Effect<WebhookRoute<SlackRouteRequirements>> =>
  Effect.map(makeSlackInteractionPipeline(options), (pipeline) => {
    const handle = Effect.fnUntraced(function*(request: RawRequest) {
      const check = verifySlackSignature(signedRequestOf(request), options.signingSecret, yield* Clock.currentTimeMillis)
      if (check !== "valid") return yield* refuseSignature("interaction", check)
      const decoded = decodeInteraction(request.body)
      if (Either.isLeft(decoded)) {
        yield* countSlack("malformed")
        return { status: 400, body: decoded.left } satisfies RawResponse
      }
      return yield* pipeline.process(decoded.right)
    })

    return { method: "POST", path: options.path, handle } satisfies WebhookRoute<SlackRouteRequirements>
  })
