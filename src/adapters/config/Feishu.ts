import { Effect, Option, Redacted } from "effect"
import type { IdList } from "../../domain/model/Settings.js"
import { type ConfigLoadError, malformed } from "./ConfigLoadError.js"
import { readIdList } from "./IdLists.js"
import { loadWebhookServer, type WebhookServer } from "./Platforms.js"
import { type Notes, readDefaultOn, readMode, readOptionalUrl, readPath, readSecret, readText } from "./Read.js"

type Secret = Option.Option<Redacted.Redacted>
export type FeishuDomain = "feishu" | "lark"
export type FeishuMode = "websocket" | "webhook"

/** One Feishu/Lark app the connector serves (from the bindings manifest or the single-app vars). */
export interface FeishuBinding {
  readonly accountId: string
  readonly appId: string
  readonly appSecret: Redacted.Redacted
  /** The Feishu `tenant_key`; "" until bound. */
  readonly workspaceId: string
  readonly workspaceName: string
  /** The OpenClaw tenant (multi-tenant mode); `default` otherwise. */
  readonly tenantId: string
  readonly verificationToken: Secret
  readonly encryptKey: Secret
  readonly domain: FeishuDomain
  readonly mode: FeishuMode
  readonly apiRoot: string
}

export interface FeishuConfig extends WebhookServer {
  /** At least one binding: `FEISHU_BINDINGS_JSON`, or app id and app secret. */
  readonly enabled: boolean
  readonly mode: FeishuMode
  readonly domain: FeishuDomain
  readonly appId: Option.Option<string>
  readonly appSecret: Secret
  readonly verificationToken: Secret
  readonly encryptKey: Secret
  readonly accountId: Option.Option<string>
  readonly defaultAccountId: Option.Option<string>
  readonly workspaceId: Option.Option<string>
  readonly workspaceName: Option.Option<string>
  /** The effective bindings: from the manifest when set (single-app vars then ignored), else one. */
  readonly bindings: ReadonlyArray<FeishuBinding>
  readonly callbackPath: string
  readonly requireMention: boolean
  readonly replyInThread: boolean
  readonly allowedUsers: IdList
  readonly allowedChats: IdList
  /** `FEISHU_API_ROOT` when set, else the root for `domain`. */
  readonly apiRoot: string
}

const P = "OPENCLAW_CONNECTOR_FEISHU_"
const BINDINGS_VAR = `${P}BINDINGS_JSON`
const API_ROOTS: Record<FeishuDomain, string> = { feishu: "https://open.feishu.cn", lark: "https://open.larksuite.com" }
const TENANT_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/

const asDomain = (text: string): FeishuDomain | undefined => {
  const word = text.trim().toLowerCase()
  return word === "feishu" || word === "lark" ? word : undefined
}
const asMode = (text: string): FeishuMode | undefined => {
  const word = text.trim().toLowerCase()
  return word === "websocket" || word === "webhook" ? word : undefined
}

interface Defaults {
  readonly domain: FeishuDomain
  readonly mode: FeishuMode
  readonly defaultAccountId: string | undefined
  readonly apiRoot: string | undefined
}

const secretOf = (text: string): Secret => (text === "" ? Option.none() : Option.some(Redacted.make(text)))

/**
 * The multi-account manifest: a non-empty JSON list of objects with `app_id` and `app_secret`.
 * A missing `account_id` falls back to `FEISHU_DEFAULT_ACCOUNT_ID`, then `app_id` (as the
 * reference documents); a missing `domain`/`mode` falls back to the env values. The value carries
 * secrets, so no error ever quotes it or a JSON parser message (which would).
 */
export const parseFeishuBindings = (json: string, defaults: Defaults): Array<FeishuBinding> | ConfigLoadError => {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return malformed(BINDINGS_VAR, "is not valid JSON.")
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return malformed(BINDINGS_VAR, "must be a non-empty JSON list.")
  const bindings: Array<FeishuBinding> = []
  for (const [index, item] of parsed.entries()) {
    const where = `item ${index + 1}`
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      return malformed(BINDINGS_VAR, `${where} is not an object.`)
    }
    const field = (name: string): string | ConfigLoadError => {
      const value: unknown = (item as Record<string, unknown>)[name]
      if (value === undefined || value === null) return ""
      return typeof value === "string" ? value.trim() : malformed(BINDINGS_VAR, `${where}: ${name} must be a string.`)
    }
    const f: Record<string, string> = {}
    for (const name of ["app_id", "app_secret", "account_id", "workspace_id", "workspace_name", "tenant_id",
      "verification_token", "encrypt_key", "domain", "mode"]) {
      const value = field(name)
      if (typeof value !== "string") return value
      f[name] = value
    }
    if (f.app_id === "") return malformed(BINDINGS_VAR, `${where} has no app_id.`)
    if (f.app_secret === "") return malformed(BINDINGS_VAR, `${where} has no app_secret.`)
    const tenantId = (f.tenant_id || "default").toLowerCase()
    if (!TENANT_ID.test(tenantId)) return malformed(BINDINGS_VAR, `${where} has an invalid tenant_id.`)
    const domain = f.domain === "" ? defaults.domain : asDomain(f.domain!)
    if (domain === undefined) return malformed(BINDINGS_VAR, `${where}: domain must be 'feishu' or 'lark'.`)
    const mode = f.mode === "" ? defaults.mode : asMode(f.mode!)
    if (mode === undefined) return malformed(BINDINGS_VAR, `${where}: mode must be 'websocket' or 'webhook'.`)
    const accountId = f.account_id || defaults.defaultAccountId || f.app_id!
    const clash = bindings.findIndex((b) => b.accountId === accountId)
    if (clash >= 0) return malformed(BINDINGS_VAR, `items ${clash + 1} and ${index + 1} have the same account id.`)
    bindings.push({
      accountId,
      appId: f.app_id!,
      appSecret: Redacted.make(f.app_secret!),
      workspaceId: f.workspace_id!,
      workspaceName: f.workspace_name!,
      tenantId,
      verificationToken: secretOf(f.verification_token!),
      encryptKey: secretOf(f.encrypt_key!),
      domain,
      mode,
      apiRoot: defaults.apiRoot ?? API_ROOTS[domain]
    })
  }
  return bindings
}

export const loadFeishu = (notes: Notes): Effect.Effect<FeishuConfig, ConfigLoadError> =>
  Effect.gen(function*() {
    const domainText = yield* readText(`${P}DOMAIN`)
    const domain = domainText === undefined ? "feishu" : asDomain(domainText)
    if (domain === undefined) return yield* malformed(`${P}DOMAIN`, "must be 'feishu' or 'lark'.")
    const mode = yield* readMode(`${P}MODE`, ["websocket", "webhook"])
    const explicitRoot = Option.getOrUndefined(yield* readOptionalUrl(`${P}API_ROOT`))
    const appId = Option.fromNullable(yield* readText(`${P}APP_ID`))
    const appSecret = yield* readSecret(`${P}APP_SECRET`)
    const verificationToken = yield* readSecret(`${P}VERIFICATION_TOKEN`)
    const encryptKey = yield* readSecret(`${P}ENCRYPT_KEY`)
    const accountId = Option.fromNullable(yield* readText(`${P}ACCOUNT_ID`))
    const defaultAccountId = Option.fromNullable(yield* readText(`${P}DEFAULT_ACCOUNT_ID`))
    const workspaceId = Option.fromNullable(yield* readText(`${P}WORKSPACE_ID`))
    const workspaceName = Option.fromNullable(yield* readText(`${P}WORKSPACE_NAME`))
    const manifest = yield* readSecret(BINDINGS_VAR)

    let bindings: Array<FeishuBinding> = []
    if (Option.isSome(manifest)) {
      const parsed = parseFeishuBindings(Redacted.value(manifest.value), {
        domain, mode, defaultAccountId: Option.getOrUndefined(defaultAccountId), apiRoot: explicitRoot
      })
      if (!Array.isArray(parsed)) return yield* parsed
      bindings = parsed
      if (Option.isSome(appId) || Option.isSome(appSecret)) {
        notes.info.push(`Feishu: ${BINDINGS_VAR} is set, so ${P}APP_ID / ${P}APP_SECRET are ignored.`)
      }
    } else if (Option.isSome(appId) && Option.isSome(appSecret)) {
      bindings = [{
        accountId: Option.getOrElse(Option.orElse(accountId, () => defaultAccountId), () => appId.value),
        appId: appId.value,
        appSecret: appSecret.value,
        workspaceId: Option.getOrElse(workspaceId, () => ""),
        workspaceName: Option.getOrElse(workspaceName, () => ""),
        tenantId: "default",
        verificationToken,
        encryptKey,
        domain,
        mode,
        apiRoot: explicitRoot ?? API_ROOTS[domain]
      }]
    } else if (Option.isSome(appId)) {
      notes.warnings.push(`Feishu configured but App Secret missing (${P}APP_SECRET). Skipping.`)
    } else if (Option.isSome(appSecret)) {
      notes.warnings.push(`Feishu configured but App ID missing (${P}APP_ID). Skipping.`)
    } else {
      notes.info.push(`Feishu not configured (${P}APP_ID and ${P}APP_SECRET, or ${BINDINGS_VAR}, unset); adapter off.`)
    }
    for (const binding of bindings) {
      if (Option.isNone(binding.verificationToken)) {
        notes.warnings.push(
          `Feishu account ${binding.accountId} has no verification token (${P}VERIFICATION_TOKEN or the ` +
            `manifest's verification_token): its webhook events and card callbacks will be refused.`
        )
      }
    }
    return {
      enabled: bindings.length > 0,
      mode,
      domain,
      appId,
      appSecret,
      verificationToken,
      encryptKey,
      accountId,
      defaultAccountId,
      workspaceId,
      workspaceName,
      bindings,
      ...yield* loadWebhookServer(notes, "FEISHU", 8094, "/feishu/events"),
      callbackPath: yield* readPath(`${P}CALLBACK_PATH`, "/feishu/callback"),
      requireMention: yield* readDefaultOn(notes, `${P}REQUIRE_MENTION`),
      replyInThread: yield* readDefaultOn(notes, `${P}REPLY_IN_THREAD`),
      allowedUsers: yield* readIdList(notes, `${P}ALLOWED_USERS`, { platform: "feishu" }),
      allowedChats: yield* readIdList(notes, `${P}ALLOWED_CHATS`, { platform: "feishu" }),
      apiRoot: explicitRoot ?? API_ROOTS[domain]
    }
  })
