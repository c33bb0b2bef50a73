import { Effect, Option, Redacted } from "effect"
import type { IdList } from "../../domain/model/Settings.js"
import { type ConfigLoadError, malformed } from "./ConfigLoadError.js"
import { readIdList } from "./IdLists.js"
import { portSpec } from "./Parse.js"
import {
  type Notes,
  readInt,
  readMode,
  readOptionalUrl,
  readPath,
  readSecret,
  readStrictBoolean,
  readText,
  readTextOr,
  readUrl
} from "./Read.js"

/**
 * Telegram, Discord, LINE, WhatsApp, WeChat and Kakao. `enabled` follows the reference's start
 * conditions (domain-core §17 step 6); a platform that stays off says why in the notes.
 */

type Secret = Option.Option<Redacted.Redacted>

/** Where a webhook platform's own HTTP server listens. */
export interface WebhookServer {
  readonly bind: string
  readonly port: number
  readonly path: string
}

export interface TelegramConfig {
  readonly enabled: boolean
  readonly token: Secret
  readonly mode: "polling" | "webhook"
  readonly allowedUsers: IdList
  readonly allowedChats: IdList
  readonly apiRoot: string
  /**
   * Webhook mode only (new, not in the reference): where Telegram's POSTs arrive, the
   * `secret_token` every POST must carry in `X-Telegram-Bot-Api-Secret-Token` (required: webhook
   * mode refuses to start without it), and the public https URL registered with `setWebhook`
   * (none: the operator registers it; the connector then only serves).
   */
  readonly webhook: WebhookServer & {
    readonly secretToken: Secret
    readonly publicUrl: Option.Option<string>
  }
}

export interface DiscordConfig {
  readonly enabled: boolean
  readonly token: Secret
  readonly allowedUsers: IdList
  readonly allowedChannels: IdList
  readonly apiRoot: string
}

export interface LineConfig extends WebhookServer {
  readonly enabled: boolean
  readonly channelSecret: Secret
  readonly channelAccessToken: Secret
  readonly allowedUsers: IdList
  readonly allowedGroups: IdList
  readonly apiRoot: string
}

export interface WhatsAppConfig extends WebhookServer {
  readonly enabled: boolean
  readonly accessToken: Secret
  readonly verifyToken: Secret
  /** Required for POST ingress: without it every POST is refused (fail closed). */
  readonly appSecret: Secret
  readonly phoneNumberId: Option.Option<string>
  readonly allowedUsers: IdList
  readonly apiRoot: string
  readonly graphVersion: string
}

export interface WeChatConfig extends WebhookServer {
  readonly enabled: boolean
  readonly token: Secret
  readonly appId: Option.Option<string>
  readonly appSecret: Secret
  readonly encodingAesKey: Secret
  readonly allowedUsers: IdList
  readonly apiRoot: string
}

export interface KakaoConfig extends WebhookServer {
  readonly enabled: boolean
  readonly allowedUsers: IdList
}

const P = "OPENCLAW_CONNECTOR_"
const TELEGRAM_SECRET = /^[A-Za-z0-9_-]{1,256}$/
const LOOPBACK = "127.0.0.1"

/** `<P><NAME>_BIND`, `_PORT`, `_PATH` with the reference's defaults; a blank bind stays loopback. */
export const loadWebhookServer = (
  notes: Notes,
  name: string,
  port: number,
  path: string
): Effect.Effect<WebhookServer, ConfigLoadError> =>
  Effect.all({
    bind: readTextOr(`${P}${name}_BIND`, LOOPBACK),
    port: readInt(notes, `${P}${name}_PORT`, portSpec(port)),
    path: readPath(`${P}${name}_PATH`, path)
  })

const notConfigured = (notes: Notes, platform: string, needs: string): void => {
  notes.info.push(`${platform} not configured (${needs} unset); adapter off.`)
}

export const loadTelegram = (notes: Notes): Effect.Effect<TelegramConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const token = yield* readSecret(`${P}TELEGRAM_TOKEN`)
    const enabled = Option.isSome(token)
    if (!enabled) notConfigured(notes, "Telegram", `${P}TELEGRAM_TOKEN`)
    const mode = yield* readMode(`${P}TELEGRAM_MODE`, ["polling", "webhook"])
    const secretToken = yield* readSecret(`${P}TELEGRAM_WEBHOOK_SECRET`)
    if (enabled && mode === "webhook" && Option.isNone(secretToken)) {
      return yield* malformed(
        `${P}TELEGRAM_WEBHOOK_SECRET`,
        "is required when OPENCLAW_CONNECTOR_TELEGRAM_MODE=webhook (1-256 characters A-Z a-z 0-9 _ -): without it anyone who finds the URL could post updates."
      )
    }
    if (Option.isSome(secretToken) && !TELEGRAM_SECRET.test(Redacted.value(secretToken.value))) {
      return yield* malformed(`${P}TELEGRAM_WEBHOOK_SECRET`, "must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule).")
    }
    return {
      enabled,
      token,
      mode,
      allowedUsers: yield* readIdList(notes, `${P}TELEGRAM_ALLOWED_USERS`, { platform: "telegram" }),
      allowedChats: yield* readIdList(notes, `${P}TELEGRAM_ALLOWED_CHATS`, { platform: "telegram" }),
      apiRoot: yield* readUrl(`${P}TELEGRAM_API_ROOT`, "https://api.telegram.org"),
      webhook: {
        ...yield* loadWebhookServer(notes, "TELEGRAM", 8092, "/telegram/webhook"),
        secretToken,
        publicUrl: yield* readOptionalUrl(`${P}TELEGRAM_WEBHOOK_URL`)
      }
    }
  })

export const loadDiscord = (notes: Notes): Effect.Effect<DiscordConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const token = yield* readSecret(`${P}DISCORD_TOKEN`)
    const enabled = Option.isSome(token)
    if (!enabled) notConfigured(notes, "Discord", `${P}DISCORD_TOKEN`)
    return {
      enabled,
      token,
      allowedUsers: yield* readIdList(notes, `${P}DISCORD_ALLOWED_USERS`, { platform: "discord" }),
      allowedChannels: yield* readIdList(notes, `${P}DISCORD_ALLOWED_CHANNELS`, { platform: "discord" }),
      apiRoot: yield* readUrl(`${P}DISCORD_API_ROOT`, "https://discord.com/api")
    }
  })

export const loadLine = (notes: Notes): Effect.Effect<LineConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const channelSecret = yield* readSecret(`${P}LINE_CHANNEL_SECRET`)
    const channelAccessToken = yield* readSecret(`${P}LINE_CHANNEL_ACCESS_TOKEN`)
    const enabled = Option.isSome(channelSecret) && Option.isSome(channelAccessToken)
    if (!enabled && Option.isSome(channelSecret)) {
      notes.warnings.push(`LINE configured but Access Token missing (${P}LINE_CHANNEL_ACCESS_TOKEN). Skipping.`)
    } else if (!enabled && Option.isSome(channelAccessToken)) {
      notes.warnings.push(`LINE configured but Channel Secret missing (${P}LINE_CHANNEL_SECRET). Skipping.`)
    } else if (!enabled) {
      notConfigured(notes, "LINE", `${P}LINE_CHANNEL_SECRET and ${P}LINE_CHANNEL_ACCESS_TOKEN`)
    }
    return {
      enabled,
      channelSecret,
      channelAccessToken,
      allowedUsers: yield* readIdList(notes, `${P}LINE_ALLOWED_USERS`, { platform: "line" }),
      allowedGroups: yield* readIdList(notes, `${P}LINE_ALLOWED_GROUPS`, { platform: "line" }),
      ...yield* loadWebhookServer(notes, "LINE", 8099, "/line/webhook"),
      apiRoot: yield* readUrl(`${P}LINE_API_ROOT`, "https://api.line.me")
    }
  })

const GRAPH_VERSION = /^v[0-9]+(\.[0-9]+)?$/

export const loadWhatsApp = (notes: Notes): Effect.Effect<WhatsAppConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const accessToken = yield* readSecret(`${P}WHATSAPP_ACCESS_TOKEN`)
    const verifyToken = yield* readSecret(`${P}WHATSAPP_VERIFY_TOKEN`)
    const appSecret = yield* readSecret(`${P}WHATSAPP_APP_SECRET`)
    const enabled = Option.isSome(accessToken) && Option.isSome(verifyToken)
    if (!enabled && Option.isSome(accessToken)) {
      notes.warnings.push(`WhatsApp configured but Verify Token missing (${P}WHATSAPP_VERIFY_TOKEN). Skipping.`)
    } else if (!enabled && Option.isSome(verifyToken)) {
      notes.warnings.push(`WhatsApp configured but Access Token missing (${P}WHATSAPP_ACCESS_TOKEN). Skipping.`)
    } else if (!enabled) {
      notConfigured(notes, "WhatsApp", `${P}WHATSAPP_ACCESS_TOKEN and ${P}WHATSAPP_VERIFY_TOKEN`)
    }
    if (enabled && Option.isNone(appSecret)) {
      notes.warnings.push(`WhatsApp App Secret missing (${P}WHATSAPP_APP_SECRET): every webhook POST will be refused.`)
    }
    const graphVersion = yield* readTextOr(`${P}WHATSAPP_GRAPH_VERSION`, "v19.0")
    if (!GRAPH_VERSION.test(graphVersion)) {
      return yield* malformed(`${P}WHATSAPP_GRAPH_VERSION`, "must look like v19.0.")
    }
    return {
      enabled,
      accessToken,
      verifyToken,
      appSecret,
      phoneNumberId: Option.fromNullable(yield* readText(`${P}WHATSAPP_PHONE_NUMBER_ID`)),
      allowedUsers: yield* readIdList(notes, `${P}WHATSAPP_ALLOWED_USERS`, { platform: "whatsapp" }),
      ...yield* loadWebhookServer(notes, "WHATSAPP", 8098, "/whatsapp/webhook"),
      apiRoot: yield* readUrl(`${P}WHATSAPP_API_ROOT`, "https://graph.facebook.com"),
      graphVersion
    }
  })

export const loadWeChat = (notes: Notes): Effect.Effect<WeChatConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const token = yield* readSecret(`${P}WECHAT_TOKEN`)
    const enabled = Option.isSome(token)
    if (!enabled) notConfigured(notes, "WeChat", `${P}WECHAT_TOKEN`)
    return {
      enabled,
      token,
      appId: Option.fromNullable(yield* readText(`${P}WECHAT_APP_ID`)),
      appSecret: yield* readSecret(`${P}WECHAT_APP_SECRET`),
      encodingAesKey: yield* readSecret(`${P}WECHAT_ENCODING_AES_KEY`),
      allowedUsers: yield* readIdList(notes, `${P}WECHAT_ALLOWED_USERS`, { platform: "wechat" }),
      ...yield* loadWebhookServer(notes, "WECHAT", 8097, "/wechat/webhook"),
      apiRoot: yield* readUrl(`${P}WECHAT_API_ROOT`, "https://api.weixin.qq.com")
    }
  })

export const loadKakao = (notes: Notes): Effect.Effect<KakaoConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const enabled = yield* readStrictBoolean(`${P}KAKAO_ENABLED`, false)
    if (!enabled) notes.info.push(`Kakao adapter disabled (${P}KAKAO_ENABLED is not true).`)
    return {
      enabled,
      ...yield* loadWebhookServer(notes, "KAKAO", 8096, "/kakao/webhook"),
      allowedUsers: yield* readIdList(notes, `${P}KAKAO_ALLOWED_USERS`, { platform: "kakao" })
    }
  })
