import { tempSqliteStorage } from "../adapters/storage/tempSqlite.js"
import { jobLedgerContract } from "./jobLedgerContract.js"
import { replayStoreContract } from "./replayStoreContract.js"

replayStoreContract("sqlite", tempSqliteStorage())
jobLedgerContract("sqlite", tempSqliteStorage())
