import { JobLedgerMemory } from "../../src/adapters/storage/memory/JobLedgerMemory.js"
import { ReplayStoreMemory } from "../../src/adapters/storage/memory/ReplayStoreMemory.js"
import { jobLedgerContract } from "./jobLedgerContract.js"
import { replayStoreContract } from "./replayStoreContract.js"

replayStoreContract("memory", ReplayStoreMemory)
jobLedgerContract("memory", JobLedgerMemory)
