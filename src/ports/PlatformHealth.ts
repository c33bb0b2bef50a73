import { Context, Effect } from "effect"

/**
 * The health of each platform installation as the connector last saw it (decisions.md: a 401/410
 * marks the installation, visibly, instead of silently disabling the adapter until restart).
 * Recording never fails and never blocks delivery; the next successful call marks it `ok` again.
 */
export type HealthState = "ok" | "invalid_token" | "revoked" | "rate_limited" | "unreachable" | "rejected"

export interface HealthRecord {
  /** `line`, `whatsapp`, `wechat`... */
  readonly platform: string
  /** Workspace/account within the platform; "" for single-installation platforms. */
  readonly installation: string
  readonly state: HealthState
  /** Fixed words plus a status code, never a token, URL or platform body. */
  readonly detail: string
  readonly updatedAtMillis: number
}

export class PlatformHealth extends Context.Tag("ports/PlatformHealth")<PlatformHealth, {
  readonly record: (platform: string, installation: string, state: HealthState, detail: string) => Effect.Effect<void>
  readonly snapshot: Effect.Effect<ReadonlyArray<HealthRecord>>
}>() {}
