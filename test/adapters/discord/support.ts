import { Effect, Layer, Redacted, Schedule } from "effect"
import { CallbackSignerHmac } from "../../../src/adapters/crypto/CallbackSignerHmac.js"
import type { DiscordSink } from "../../../src/adapters/discord/Deliver.js"
import type { MessageView, PressView } from "../../../src/adapters/discord/Inbound.js"
import type { DiscordServices, MessageContext } from "../../../src/adapters/discord/MessageHandler.js"
import type { PressResponder } from "../../../src/adapters/discord/PressHandler.js"
import type { WireMessage } from "../../../src/adapters/discord/Render.js"
import { DiscordSendError } from "../../../src/adapters/discord/SendError.js"
import { ButtonStoreMemory } from "../../../src/adapters/storage/memory/ButtonStoreMemory.js"
import { JobLedgerMemory } from "../../../src/adapters/storage/memory/JobLedgerMemory.js"
import { PlatformHealthMemory } from "../../../src/adapters/storage/memory/PlatformHealthMemory.js"
import type { CoreSettings } from "../../../src/domain/model/Settings.js"
import { RateLimiter } from "../../../src/ports/RateLimiter.js"
import { ReplayStore } from "../../../src/ports/ReplayStore.js"
import { type BackendStub, makeBackendStub } from "../../support/BackendStub.js"
import { ADMIN_ID, settingsLayer } from "../../support/Builders.js"
import { makeRecordingReplayStore, type StoreProbe } from "../../support/RecordingReplayStore.js"

/**
 * In-memory harness for the Discord handlers: a stubbed backend, the real memory stores (the
 * replay store recording what it was asked), open rate limits, a callback signer, platform
 * health, and recording sinks in place of Discord's REST API.
 */

export const BOT_ID = "900000000000000001"
export const GUILD = "200000000000000001"
export const CHANNEL = "300000000000000001"
export const THREAD = "300000000000000009"
export const DM_CHANNEL = "400000000000000001"
export const USER = "100000000000000002"
export { ADMIN_ID }

export const aMessage = (over: Partial<MessageView> = {}): MessageView => ({
  id: "500000000000000001",
  content: "/help",
  authorId: USER,
  authorName: "alice",
  authorIsBot: false,
  isSystem: false,
  channelId: DM_CHANNEL,
  guildId: undefined,
  parentChannelId: undefined,
  ...over
})

export const aPress = (customId: string, over: Partial<PressView> = {}): PressView => ({
  interactionId: "600000000000000001",
  customId,
  userId: ADMIN_ID,
  userName: "admin",
  channelId: DM_CHANNEL,
  guildId: undefined,
  parentChannelId: undefined,
  ...over
})

/** No waiting between retries in unit tests. */
export const NO_DELAY_RETRY: Schedule.Schedule<unknown, DiscordSendError> = Schedule.recurs(3)

export interface Posted {
  readonly target: string
  readonly message: WireMessage
  readonly nonce: string
}

/** Records posts; `failures` are thrown at the first attempts, in order. */
export const recordingSinks = () => {
  const posted: Array<Posted> = []
  const attempts: Array<Posted> = []
  const typing: Array<string> = []
  const failures: Array<DiscordSendError> = []
  const sink = (target: string): DiscordSink => ({
    describe: target,
    post: (message, nonce) =>
      Effect.suspend(() => {
        attempts.push({ target, message, nonce })
        const failure = failures.shift()
        if (failure !== undefined) return Effect.fail(failure)
        posted.push({ target, message, nonce })
        return Effect.void
      })
  })
  return {
    posted,
    attempts,
    typing,
    failures,
    sink,
    typingIn: (channelId: string) => Effect.sync(() => void typing.push(channelId))
  }
}

export type Sinks = ReturnType<typeof recordingSinks>

export const messageContext = (sinks: Sinks, over: Partial<MessageContext> = {}): MessageContext => ({
  botId: BOT_ID,
  allowedUsers: [],
  allowedChannels: [],
  sinkFor: (channelId) => sinks.sink(`channel ${channelId}`),
  typingIn: sinks.typingIn,
  retry: NO_DELAY_RETRY,
  ...over
})

/** A responder over the same recording sinks; `ackFails` makes the acknowledgement fail. */
export const pressResponder = (sinks: Sinks, options: { readonly ackFails?: boolean } = {}) => {
  const acks: Array<string> = []
  const responder: PressResponder = {
    acknowledge: options.ackFails === true
      ? Effect.fail(new DiscordSendError({ reason: "unreachable", detail: "test" }))
      : Effect.sync(() => void acks.push("deferUpdate")),
    followUp: (ephemeral) => sinks.sink(ephemeral ? "ephemeral" : "public"),
    typing: sinks.typingIn("press")
  }
  return { responder, acks }
}

export interface Harness {
  readonly backend: BackendStub
  readonly probe: StoreProbe
  readonly layer: Layer.Layer<DiscordServices>
}

/** Fresh for one test; claims fail (store down) from claim number `failClaimsFrom` on. */
export const harness = (
  settings: Partial<CoreSettings> = {},
  options: { readonly failClaimsFrom?: number } = {}
): Harness => {
  const backend = makeBackendStub()
  const made = Effect.runSync(makeRecordingReplayStore({
    failClaim: (n) => options.failClaimsFrom !== undefined && n >= options.failClaimsFrom
  }))
  const layer = Layer.mergeAll(
    backend.layer,
    Layer.succeed(ReplayStore, made.service),
    JobLedgerMemory,
    Layer.succeed(RateLimiter, RateLimiter.of({ take: () => Effect.succeed(true) })),
    settingsLayer(settings),
    CallbackSignerHmac.layer(Redacted.make("discord-test-signing-key")),
    PlatformHealthMemory,
    ButtonStoreMemory
  )
  return { backend, probe: made.probe, layer }
}
