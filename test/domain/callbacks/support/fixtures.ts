import { Layer, Redacted } from "effect"
import { CallbackSignerHmac } from "../../../../src/adapters/crypto/CallbackSignerHmac.js"
import type { ActionPolicy, CallbackActor } from "../../../../src/domain/callbacks/CallbackPolicy.js"
import { ReplayStoreMemory } from "./ReplayStoreMemory.js"

export const NOW_SECONDS = 1_700_000_000
export const NOW_MILLIS = NOW_SECONDS * 1000

/** The policy map of the reference tests (§13 V4). */
export const V4_POLICY: ActionPolicy = new Map([
  ["action.status", "public"],
  ["action.run", "run"],
  ["action.admin", "admin"],
  ["action.workflow.*", "run"]
])

export const stranger: CallbackActor = { isAdmin: false, isTrusted: false }
export const trusted: CallbackActor = { isAdmin: false, isTrusted: true }
export const admin: CallbackActor = { isAdmin: true, isTrusted: true }

export const signerLayer = CallbackSignerHmac.layer(Redacted.make("signing-secret"))
/** A fresh store per call: provide it per test (a shared layer would leak claims). */
export const freshLayer = () => Layer.merge(signerLayer, ReplayStoreMemory)
