/**
 * The core's view of configuration: everything the pure rules need, nothing secret.
 * Built by the config adapter from the environment; tests build it from plain values.
 */
export type CommandClass = "public" | "run" | "admin"
export const COMMAND_CLASSES: ReadonlyArray<CommandClass> = ["public", "run", "admin"]

/**
 * An id list as written in configuration. An entry is either bare (`123`: matches that id on
 * every platform, as the reference does) or platform-qualified (`telegram:123`: only there).
 */
export type IdList = ReadonlyArray<string>

export interface TrustLists {
  /** Senders trusted to auto-execute `/run` on this platform. */
  readonly users: IdList
  /** Chats/channels/groups whose every member is trusted on this platform. */
  readonly chats: IdList
}

export interface CoreSettings {
  readonly adminUsers: IdList
  /** Per lower-case platform name. A platform absent here trusts nobody but admins. */
  readonly trust: Readonly<Record<string, TrustLists>>
  /** Canonical command (`/run`) -> class; keys already resolved from any alias. */
  readonly commandOverrides: ReadonlyMap<string, CommandClass>
  /** A non-empty list replaces the class's default rule (explicit list wins, admins included). */
  readonly allowFrom: Readonly<Partial<Record<CommandClass, IdList>>>
  /** Whether OPENCLAW_CONNECTOR_ADMIN_TOKEN is set (the value itself stays in the backend adapter). */
  readonly adminTokenConfigured: boolean
  readonly rateLimitUserRpm: number
  readonly rateLimitChannelRpm: number
  readonly maxCommandLength: number
  /** OPENCLAW_CONNECTOR_CHAT_TRUSTED_ONLY: `/chat` only for trusted senders and admins. */
  readonly chatTrustedOnly: boolean
}

export const defaultCoreSettings: CoreSettings = {
  adminUsers: [],
  trust: {},
  commandOverrides: new Map(),
  allowFrom: {},
  adminTokenConfigured: false,
  rateLimitUserRpm: 10,
  rateLimitChannelRpm: 30,
  maxCommandLength: 4096,
  chatTrustedOnly: false
}
