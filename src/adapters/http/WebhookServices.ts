import type { Backend } from "../../ports/Backend.js"
import type { CallbackSigner } from "../../ports/CallbackSigner.js"
import type { JobLedger } from "../../ports/JobLedger.js"
import type { PlatformHealth } from "../../ports/PlatformHealth.js"
import type { RateLimiter } from "../../ports/RateLimiter.js"
import type { ReplayStore } from "../../ports/ReplayStore.js"
import type { Settings } from "../../ports/Settings.js"

/** Every port a webhook platform's routes may use; main.ts provides all of them. */
export type WebhookServices =
  | ReplayStore
  | Backend
  | JobLedger
  | RateLimiter
  | Settings
  | CallbackSigner
  | PlatformHealth
