/**
 * Builders of the Discord gateway payloads the fake dispatches (API v10 shapes, only the fields
 * discord.js reads): users, guilds with channels and threads, messages and button interactions.
 */

const DISCORD_EPOCH = 1_420_070_400_000n
let increment = 0n

/** A fresh snowflake whose timestamp is now (or `atMillis`). */
export const snowflake = (atMillis = Date.now()): string => {
  increment = (increment + 1n) & 0xfffn
  return (((BigInt(atMillis) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString()
}

export interface FakeUser {
  readonly id: string
  readonly username: string
  readonly bot?: boolean
}

export const userPayload = (user: FakeUser) => ({
  id: user.id,
  username: user.username,
  discriminator: "0",
  global_name: user.username,
  avatar: null,
  ...(user.bot === true ? { bot: true } : {})
})

export const GUILD_TEXT = 0
export const DM = 1
export const PUBLIC_THREAD = 11

export interface FakeGuild {
  readonly id: string
  readonly name?: string
  /** Text channels by id. */
  readonly channels: ReadonlyArray<string>
  /** Public threads: id and parent channel id. */
  readonly threads?: ReadonlyArray<{ readonly id: string; readonly parentId: string }>
}

export const guildPayload = (guild: FakeGuild, ownerId: string) => ({
  id: guild.id,
  name: guild.name ?? "Test guild",
  icon: null,
  owner_id: ownerId,
  unavailable: false,
  member_count: 2,
  large: false,
  features: [],
  emojis: [],
  stickers: [],
  members: [],
  presences: [],
  voice_states: [],
  stage_instances: [],
  guild_scheduled_events: [],
  roles: [{
    id: guild.id,
    name: "@everyone",
    permissions: "0",
    position: 0,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
    flags: 0
  }],
  channels: guild.channels.map((id, position) => ({
    id,
    type: GUILD_TEXT,
    name: `channel-${position}`,
    position,
    permission_overwrites: [],
    nsfw: false,
    parent_id: null
  })),
  threads: (guild.threads ?? []).map((t) => ({
    id: t.id,
    type: PUBLIC_THREAD,
    guild_id: guild.id,
    parent_id: t.parentId,
    name: `thread-${t.id}`,
    owner_id: ownerId,
    message_count: 0,
    member_count: 1,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false }
  }))
})

export interface FakeMessage {
  readonly id?: string
  readonly channelId: string
  /** Set for guild messages; DMs have none. */
  readonly guildId?: string
  readonly author: FakeUser
  readonly content: string
  readonly components?: ReadonlyArray<unknown>
  /** GUILD_TEXT, DM or PUBLIC_THREAD; by default DM without a guild, GUILD_TEXT with one. */
  readonly channelType?: number
}

export const messagePayload = (message: FakeMessage) => ({
  id: message.id ?? snowflake(),
  channel_id: message.channelId,
  channel_type: message.channelType ?? (message.guildId !== undefined ? GUILD_TEXT : DM),
  ...(message.guildId !== undefined
    ? {
      guild_id: message.guildId,
      member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 }
    }
    : {}),
  author: userPayload(message.author),
  content: message.content,
  timestamp: new Date().toISOString(),
  edited_timestamp: null,
  tts: false,
  mention_everyone: false,
  mentions: [],
  mention_roles: [],
  attachments: [],
  embeds: [],
  pinned: false,
  type: 0,
  flags: 0,
  components: message.components ?? []
})

export interface FakePress {
  readonly id?: string
  readonly token?: string
  readonly applicationId: string
  readonly channelId: string
  readonly guildId?: string
  /** Channel type of `channelId` (GUILD_TEXT, DM or PUBLIC_THREAD). */
  readonly channelType?: number
  readonly parentId?: string
  readonly user: FakeUser
  readonly customId: string
  /** The message the button is on (author: the bot). */
  readonly message: ReturnType<typeof messagePayload>
}

/** An INTERACTION_CREATE for a button (message component) press. */
export const buttonPressPayload = (press: FakePress) => ({
  id: press.id ?? snowflake(),
  application_id: press.applicationId,
  type: 3,
  token: press.token ?? `interaction-token-${snowflake()}`,
  version: 1,
  channel_id: press.channelId,
  channel: {
    id: press.channelId,
    type: press.channelType ?? (press.guildId !== undefined ? GUILD_TEXT : DM),
    ...(press.parentId !== undefined ? { parent_id: press.parentId } : {})
  },
  ...(press.guildId !== undefined
    ? {
      guild_id: press.guildId,
      member: {
        user: userPayload(press.user),
        roles: [],
        joined_at: new Date().toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
        permissions: "0"
      }
    }
    : { user: userPayload(press.user) }),
  message: press.message,
  data: { custom_id: press.customId, component_type: 2 },
  app_permissions: "0",
  locale: "en-US",
  entitlements: [],
  authorizing_integration_owners: {},
  context: press.guildId !== undefined ? 0 : 1
})
