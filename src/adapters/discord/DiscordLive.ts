import { type Client, Events, type Message, type MessageComponentInteraction } from "discord.js"
import { type Duration, Effect, FiberSet, Layer, Option, type Redacted, type Scope } from "effect"
import { ChatDeliveries } from "../../ports/ChatDelivery.js"
import type { ConnectorConfig } from "../config/ConnectorConfig.js"
import { count } from "./Counters.js"
import { makeDiscordDelivery } from "./Delivery.js"
import { channelSink, pressResponder, typingIn } from "./DiscordRest.js"
import { runGateway } from "./Gateway.js"
import type { MessageView, PressView } from "./Inbound.js"
import { type DiscordServices, handleMessage } from "./MessageHandler.js"
import { handlePressInteraction } from "./PressHandler.js"

/**
 * The Discord adapter: a gateway bot (no inbound port). Messages and button presses from the
 * discord.js client become plain views (no SDK type goes further) and run through
 * MessageHandler / PressHandler, each in its own fiber owned by the layer's scope. Closing the
 * scope (shutdown) destroys the client and interrupts whatever is still running.
 *
 * Load is bounded: at most `maxConcurrent` messages run at once (presses are not queued behind
 * them: they must be acknowledged within 3 s), and past `maxPending` events in the process new
 * ones are dropped with a warning instead of piling up in memory.
 */

export interface DiscordOptions {
  readonly token: Redacted.Redacted
  /** `https://discord.com/api`; the client appends `/v10/...`. */
  readonly apiRoot: string
  /** DISCORD_ALLOWED_USERS / DISCORD_ALLOWED_CHANNELS: only logged here; the core decides trust. */
  readonly allowedUsers: ReadonlyArray<string>
  readonly allowedChannels: ReadonlyArray<string>
  readonly maxConcurrent?: number
  readonly maxPending?: number
  /** First wait before a failed login is retried (default 1 s, doubling). */
  readonly loginRetryBase?: Duration.Duration
  /** Runs once the client is logged in (READY): discordLive registers the result delivery here. */
  readonly onReady?: (client: Client<true>) => Effect.Effect<void, never, DiscordServices>
}

export const messageViewOf = (message: Message): MessageView => ({
  id: message.id,
  content: message.content,
  authorId: message.author.id,
  authorName: message.author.username,
  authorIsBot: message.author.bot || message.webhookId !== null,
  isSystem: message.system,
  channelId: message.channelId,
  guildId: message.guildId ?? undefined,
  parentChannelId: message.channel.isThread() ? message.channel.parentId ?? undefined : undefined
})

export const pressViewOf = (interaction: MessageComponentInteraction): PressView => {
  const channel = interaction.channel
  return {
    interactionId: interaction.id,
    customId: interaction.customId,
    userId: interaction.user.id,
    userName: interaction.user.username,
    channelId: interaction.channelId,
    guildId: interaction.guildId ?? undefined,
    parentChannelId: channel?.isThread() === true ? channel.parentId ?? undefined : undefined
  }
}

export const startDiscord = (options: DiscordOptions): Effect.Effect<void, never, Scope.Scope | DiscordServices> =>
  Effect.gen(function*() {
    const runFork = yield* FiberSet.makeRuntime<DiscordServices>()
    const run = (effect: Effect.Effect<void, never, DiscordServices>) => void runFork(effect)
    const permits = yield* Effect.makeSemaphore(options.maxConcurrent ?? 8)
    const maxPending = options.maxPending ?? 256
    let pending = 0

    const admit = (what: string, work: Effect.Effect<void, never, DiscordServices>) => {
      if (pending >= maxPending) {
        return run(Effect.zipRight(count("refused"), Effect.logWarning(`Discord ${what} dropped: ${pending} events in progress`)))
      }
      pending += 1
      run(Effect.ensuring(work, Effect.sync(() => void (pending -= 1))))
    }

    const attach = (client: Client) => {
      const onReady = options.onReady
      if (onReady !== undefined) client.once(Events.ClientReady, (ready) => run(onReady(ready)))
      client.on(Events.MessageCreate, (message) => {
        const botId = client.user?.id
        if (botId === undefined) return
        const context = {
          botId,
          allowedUsers: options.allowedUsers,
          allowedChannels: options.allowedChannels,
          sinkFor: (channelId: string) => channelSink(client, channelId),
          typingIn: (channelId: string) => typingIn(client, channelId)
        }
        admit(`message ${message.id}`, permits.withPermits(1)(handleMessage(messageViewOf(message), context)))
      })
      client.on(Events.InteractionCreate, (interaction) => {
        if (!interaction.isMessageComponent()) return
        admit(`interaction ${interaction.id}`, handlePressInteraction(pressViewOf(interaction), pressResponder(client, interaction)))
      })
    }

    yield* Effect.logInfo(`Discord gateway connecting (REST ${options.apiRoot})`)
    const gateway = {
      token: options.token,
      apiRoot: options.apiRoot,
      ...(options.loginRetryBase !== undefined ? { retryBase: options.loginRetryBase } : {})
    }
    yield* Effect.forkScoped(runGateway(gateway, attach, run))
  })

/**
 * The Discord gateway adapter when the platform is enabled (a token is set); nothing otherwise.
 * Job results (ChatDeliveries) can reach Discord from READY on: sending needs the logged-in client.
 */
export const discordLive = (config: ConnectorConfig) => {
  const discord = config.discord
  if (!discord.enabled || Option.isNone(discord.token)) return Layer.empty
  const token = discord.token.value
  return Layer.scopedDiscard(Effect.gen(function*() {
    const deliveries = yield* ChatDeliveries
    yield* startDiscord({
      token,
      apiRoot: discord.apiRoot,
      allowedUsers: discord.allowedUsers,
      allowedChannels: discord.allowedChannels,
      onReady: (client) => Effect.flatMap(makeDiscordDelivery(client.rest), deliveries.register)
    })
  }))
}
