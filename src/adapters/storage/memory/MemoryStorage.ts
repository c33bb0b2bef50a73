import { Layer } from "effect"
import { InstallationRegistryMemory } from "../../installations/RegistryMemory.js"
import type { InstallationRegistry } from "../../../ports/InstallationRegistry.js"
import type { JobLedger } from "../../../ports/JobLedger.js"
import type { ButtonStore } from "../../../ports/ButtonStore.js"
import type { PollCursor } from "../../../ports/PollCursor.js"
import type { ReplayStore } from "../../../ports/ReplayStore.js"
import type { StoreProbe } from "../../../ports/StoreProbe.js"
import { ButtonStoreMemory } from "./ButtonStoreMemory.js"
import { JobLedgerMemory } from "./JobLedgerMemory.js"
import { PollCursorMemory } from "./PollCursorMemory.js"
import { ReplayStoreMemory } from "./ReplayStoreMemory.js"
import { StoreProbeMemory } from "./StoreProbeMemory.js"

/**
 * Every storage port in memory: the same outputs as `SqliteStorage.layer`, for tests. The
 * installation registry is single-tenant; use `InstallationRegistryMemory.layer({ multiTenant: true })`
 * for multi-tenant tests. (Its construction cannot fail in memory, hence the `orDie`.)
 */
export const MemoryStorage: Layer.Layer<ReplayStore | JobLedger | PollCursor | ButtonStore | StoreProbe | InstallationRegistry> = Layer.mergeAll(
  Layer.orDie(InstallationRegistryMemory.layer()),
  ButtonStoreMemory,
  ReplayStoreMemory,
  JobLedgerMemory,
  PollCursorMemory,
  StoreProbeMemory
)
