import type { Backend } from "../../src/ports/Backend.js"
import type { CallbackSigner } from "../../src/ports/CallbackSigner.js"
import type { JobLedger } from "../../src/ports/JobLedger.js"
import type { PlatformHealth } from "../../src/ports/PlatformHealth.js"
import type { RateLimiter } from "../../src/ports/RateLimiter.js"
import type { ReplayStore } from "../../src/ports/ReplayStore.js"
import type { Settings } from "../../src/ports/Settings.js"

/** Everything a webhook route may need; the contract harness provides all of it. */
export type WebhookContractServices =
  | ReplayStore
  | Backend
  | JobLedger
  | RateLimiter
  | Settings
  | CallbackSigner
  | PlatformHealth
