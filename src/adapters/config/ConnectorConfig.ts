import * as path from "node:path"
import { Effect, type LogLevel, Option, Redacted } from "effect"
import type { IdList } from "../../domain/model/Settings.js"
import { type ConfigLoadError, malformed } from "./ConfigLoadError.js"
import { type FeishuConfig, loadFeishu } from "./Feishu.js"
import type { Platform } from "./IdLists.js"
import { clampSpec, hasFileSuffix, portSpec } from "./Parse.js"
import {
  type DiscordConfig,
  type KakaoConfig,
  type LineConfig,
  loadDiscord,
  loadKakao,
  loadLine,
  loadTelegram,
  loadWeChat,
  loadWhatsApp,
  type TelegramConfig,
  type WeChatConfig,
  type WhatsAppConfig
} from "./Platforms.js"
import { loadPolicy, type PolicyConfig } from "./Policy.js"
import {
  allowlistPosture,
  type Coverage,
  loadProfile,
  loadTenancy,
  type ProfileConfig,
  securityBanner,
  type TenancyConfig
} from "./Profile.js"
import {
  makeNotes,
  type Notes,
  readInt,
  readOptionalUrl,
  readPath,
  readRaw,
  readSecret,
  readText,
  readTextOr
} from "./Read.js"
import { loadSlack, type SlackConfig } from "./Slack.js"

/**
 * The whole connector configuration, read once at startup from the current ConfigProvider.
 * Secrets are `Redacted` (JSON.stringify, String and util.inspect print `<redacted>`).
 */
export interface ConnectorConfig {
  readonly backend: {
    /** Base URL without trailing slashes. */
    readonly url: string
    readonly adminToken: Option.Option<Redacted.Redacted>
  }
  readonly debug: boolean
  readonly logLevel: LogLevel.Literal
  /** Absolute. */
  readonly stateDir: string
  /** Unset: embedded SQLite in the state directory. */
  readonly databaseUrl: Option.Option<Redacted.Redacted>
  readonly secretKey: Option.Option<Redacted.Redacted>
  readonly operator: { readonly bind: string; readonly port: number }
  readonly delivery: { readonly maxImages: number; readonly maxBytes: number; readonly timeoutSec: number }
  readonly media: {
    readonly publicBaseUrl: Option.Option<string>
    readonly path: string
    readonly ttlSec: number
    readonly maxMb: number
    /** `<stateDir>/media`, absolute. */
    readonly dir: string
  }
  readonly policy: PolicyConfig
  readonly profile: ProfileConfig
  readonly tenancy: TenancyConfig
  readonly telegram: TelegramConfig
  readonly discord: DiscordConfig
  readonly line: LineConfig
  readonly whatsapp: WhatsAppConfig
  readonly wechat: WeChatConfig
  readonly kakao: KakaoConfig
  readonly slack: SlackConfig
  readonly feishu: FeishuConfig
}

export interface LoadedConfig {
  readonly config: ConnectorConfig
  /** Clamp/parse warnings, the security banner, allow-from widening, platforms left off. */
  readonly warnings: ReadonlyArray<string>
  readonly info: ReadonlyArray<string>
}

const P = "OPENCLAW_CONNECTOR_"
export const DEFAULT_BACKEND_URL = "http://127.0.0.1:8188"

/**
 * `STATE_DIR` wins; else the reference's `STATE_PATH` (a file path means its parent directory);
 * else `./data`. Always absolute.
 */
export const resolveStateDir = (stateDir: string | undefined, statePath: string | undefined, cwd: string): string => {
  if (stateDir !== undefined) return path.resolve(cwd, stateDir)
  if (statePath !== undefined) return path.resolve(cwd, hasFileSuffix(statePath) ? path.dirname(statePath) : statePath)
  return path.resolve(cwd, "data")
}

const LOG_LEVELS: Record<string, LogLevel.Literal> = {
  all: "All", trace: "Trace", debug: "Debug", info: "Info", warn: "Warning", warning: "Warning",
  error: "Error", fatal: "Fatal", none: "None", off: "None"
}

const loadLogLevel = (notes: Notes, debug: boolean) =>
  Effect.map(readText(`${P}LOG_LEVEL`), (text): LogLevel.Literal => {
    const fallback = debug ? "Debug" : "Info"
    if (text === undefined) return fallback
    const level = LOG_LEVELS[text.toLowerCase()]
    if (level === undefined) notes.warnings.push(`Connector env ${P}LOG_LEVEL is not a log level; using ${fallback}.`)
    return level ?? fallback
  })

/** An empty value falls back to the default (the reference kept "", bug 21). */
const loadBackendUrl = Effect.map(readOptionalUrl(`${P}URL`), (url) =>
  Option.getOrElse(url, () => DEFAULT_BACKEND_URL).replace(/\/+$/, ""))

/** Carries credentials, so it stays Redacted and errors never quote it. */
const loadDatabaseUrl = Effect.flatMap(readSecret(`${P}DATABASE_URL`), (url) =>
  Option.isSome(url) && !/^postgres(ql)?:\/\//i.test(Redacted.value(url.value))
    ? Effect.fail(malformed(`${P}DATABASE_URL`, "must be a postgres:// or postgresql:// URL (unset: embedded SQLite)."))
    : Effect.succeed(url))

type PlatformConfigs = Pick<ConnectorConfig, Platform>

/** Each platform's allowlists, as the strict profile gate and the banner see them. */
const coverageOf = (c: PlatformConfigs): Array<Coverage> => {
  const entry = (platform: Platform, enabled: boolean, lists: Record<string, IdList>): Coverage => ({
    platform,
    enabled,
    lists: Object.values(lists),
    variables: Object.keys(lists).map((suffix) => `${P}${platform.toUpperCase()}_ALLOWED_${suffix}`)
  })
  return [
    entry("telegram", c.telegram.enabled, { USERS: c.telegram.allowedUsers, CHATS: c.telegram.allowedChats }),
    entry("discord", c.discord.enabled, { USERS: c.discord.allowedUsers, CHANNELS: c.discord.allowedChannels }),
    entry("line", c.line.enabled, { USERS: c.line.allowedUsers, GROUPS: c.line.allowedGroups }),
    entry("whatsapp", c.whatsapp.enabled, { USERS: c.whatsapp.allowedUsers }),
    entry("wechat", c.wechat.enabled, { USERS: c.wechat.allowedUsers }),
    entry("kakao", c.kakao.enabled, { USERS: c.kakao.allowedUsers }),
    entry("slack", c.slack.enabled, { USERS: c.slack.allowedUsers, CHANNELS: c.slack.allowedChannels }),
    entry("feishu", c.feishu.enabled, { USERS: c.feishu.allowedUsers, CHATS: c.feishu.allowedChats })
  ]
}

/**
 * Reads and validates every variable. Numeric tuning values clamp and warn; anything that
 * matters for security and does not parse fails with a `ConfigLoadError` naming the variable.
 */
export const loadConnectorConfig: Effect.Effect<LoadedConfig, ConfigLoadError> = Effect.gen(function*() {
  const notes = makeNotes()
  const debug = (yield* readRaw(`${P}DEBUG`)) === "1"
  const stateDir = resolveStateDir(
    yield* readText(`${P}STATE_DIR`),
    yield* readText(`${P}STATE_PATH`),
    process.cwd()
  )
  const publicBaseUrl = yield* readOptionalUrl(`${P}PUBLIC_BASE_URL`)
  if (Option.isSome(publicBaseUrl) && !publicBaseUrl.value.toLowerCase().startsWith("https://")) {
    notes.warnings.push(`${P}PUBLIC_BASE_URL is not an https:// URL; media links will travel in clear.`)
  }
  const base = {
    backend: { url: yield* loadBackendUrl, adminToken: yield* readSecret(`${P}ADMIN_TOKEN`) },
    debug,
    logLevel: yield* loadLogLevel(notes, debug),
    stateDir,
    databaseUrl: yield* loadDatabaseUrl,
    secretKey: yield* readSecret(`${P}SECRET_KEY`),
    operator: {
      bind: yield* readTextOr(`${P}OPERATOR_BIND`, "127.0.0.1"),
      port: yield* readInt(notes, `${P}OPERATOR_PORT`, portSpec(8093))
    },
    delivery: {
      maxImages: yield* readInt(notes, `${P}DELIVERY_MAX_IMAGES`, clampSpec(4, 1, 16)),
      maxBytes: yield* readInt(notes, `${P}DELIVERY_MAX_BYTES`, clampSpec(10485760, 65536, 52428800)),
      timeoutSec: yield* readInt(notes, `${P}DELIVERY_TIMEOUT_SEC`, clampSpec(600, 30, 3600))
    },
    media: {
      publicBaseUrl,
      path: yield* readPath(`${P}MEDIA_PATH`, "/media"),
      ttlSec: yield* readInt(notes, `${P}MEDIA_TTL_SEC`, clampSpec(300, 60, 86400)),
      maxMb: yield* readInt(notes, `${P}MEDIA_MAX_MB`, clampSpec(8, 1, 64)),
      dir: path.join(stateDir, "media")
    },
    policy: yield* loadPolicy(notes),
    profile: yield* loadProfile,
    tenancy: yield* loadTenancy
  }
  const platforms = {
    telegram: yield* loadTelegram(notes),
    discord: yield* loadDiscord(notes),
    line: yield* loadLine(notes),
    whatsapp: yield* loadWhatsApp(notes),
    wechat: yield* loadWeChat(notes),
    kakao: yield* loadKakao(notes),
    slack: yield* loadSlack(notes),
    feishu: yield* loadFeishu(notes)
  }
  const coverage = coverageOf(platforms)
  const posture = allowlistPosture(base.profile, coverage)
  if (posture.error !== undefined) return yield* posture.error
  const config: ConnectorConfig = { ...base, ...platforms }
  const enabled = coverage.filter((c) => c.enabled).map((c) => c.platform)
  const warnings = [
    ...notes.warnings,
    ...posture.warnings,
    ...securityBanner({
      trustLists: coverage.flatMap((c) => c.lists),
      adminUsers: base.policy.adminUsers,
      adminAllowFrom: base.policy.allowFrom.admin !== undefined,
      adminTokenConfigured: Option.isSome(base.backend.adminToken)
    })
  ]
  const info = [
    ...notes.info,
    `State directory: ${stateDir}`,
    Option.isSome(base.databaseUrl)
      ? `Storage: PostgreSQL (${P}DATABASE_URL).`
      : `Storage: embedded SQLite in ${stateDir}.`,
    enabled.length > 0
      ? `Enabled platforms: ${enabled.join(", ")}.`
      : "No platform configured: the operator server still runs; set a platform's variables to enable it."
  ]
  return { config, warnings, info }
})
