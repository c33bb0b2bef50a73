import { HttpLayerRouter } from "@effect/platform"
import { Layer, Logger, LogLevel, Option, Redacted } from "effect"
import type { DiagnosticsOptions } from "../../../src/adapters/http/DiagnosticsApi.js"
import { diagnosticsRoutes } from "../../../src/adapters/http/DiagnosticsRoutes.js"
import type { InstallationRegistry } from "../../../src/ports/InstallationRegistry.js"

export const ADMIN_TOKEN = "diag-admin-token-7f3c9a"
export const auth = { "x-openclaw-admin-token": ADMIN_TOKEN }

export const singleTenant = { multiTenantEnabled: false, allowDefaultFallback: false, tenantHeader: "X-OpenClaw-Tenant-Id" }
export const multiTenant = (allowDefaultFallback = false, tenantHeader = "X-OpenClaw-Tenant-Id") =>
  ({ multiTenantEnabled: true, allowDefaultFallback, tenantHeader })

export interface Answer {
  readonly status: number
  readonly json: any
  readonly text: string
  readonly headers: Headers
}

/**
 * The diagnostics routes over a registry (SeededRegistry.ts) as an in-process web handler. The rate budget
 * is effectively unlimited unless a test sets one; every log line is captured in `logs`.
 */
export const diagnosticsClient = (
  registry: Layer.Layer<InstallationRegistry>,
  options: Partial<DiagnosticsOptions> = {}
) => {
  const logs: Array<string> = []
  const capture = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${JSON.stringify(message)}`))
  )
  const { dispose, handler } = HttpLayerRouter.toWebHandler(
    Layer.mergeAll(
      diagnosticsRoutes({
        adminToken: Option.some(Redacted.make(ADMIN_TOKEN)),
        tenancy: singleTenant,
        rateLimit: { capacity: 1_000_000, refillPerSecond: 0 },
        ...options
      }),
      registry,
      capture,
      Logger.minimumLogLevel(LogLevel.All)
    ),
    { disableLogger: true }
  )
  const get = async (path: string, headers: Record<string, string> = auth): Promise<Answer> => {
    const res = await handler(new Request(`http://127.0.0.1${path}`, { headers }))
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text, headers: res.headers }
  }
  return { get, dispose, logs }
}
