import Database from "better-sqlite3"
import { join } from "node:path"
import type { FakeBackend } from "../../support/FakeBackend.js"
import type { ServiceProcess } from "./ServiceProcess.js"
import type { TelegramApiCall, TelegramApiFake } from "./TelegramApiFake.js"

/**
 * Helpers for the delivery end-to-end test and the delivery latency bench: reading what the fake
 * Bot API received per chat, waiting on the fake backend, killing the service hard, and reading
 * the service's job ledger from its SQLite file (read-only) to check what it recorded.
 */

/** Calls of `method` to `chatId`. JSON bodies carry numbers, multipart uploads strings: compare as numbers. */
export const callsIn = (telegram: TelegramApiFake, method: string, chatId: number): ReadonlyArray<TelegramApiCall> =>
  telegram.callsTo(method).filter((c) => Number(c.body.chat_id) === chatId)

/** Resolves once `telegram` has a call of `method` in `chatId` that `matches`; returns the first such call. */
export const waitForCall = async (
  telegram: TelegramApiFake,
  method: string,
  chatId: number,
  matches: (call: TelegramApiCall) => boolean = () => true,
  timeoutMs = 10_000
): Promise<TelegramApiCall> => {
  const find = () => callsIn(telegram, method, chatId).find(matches)
  await telegram.waitFor(() => find() !== undefined, timeoutMs)
  return find()!
}

/** Bounded poll (10 ms steps) for conditions nobody signals, e.g. calls the fake backend received. */
export const eventually = async (condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** GET /history/<promptId> calls the backend received (also under `/api`). */
export const historyCalls = (backend: FakeBackend, promptId: string) =>
  backend.calls.filter((c) => c.method === "GET" && (c.path === `/history/${promptId}` || c.path === `/api/history/${promptId}`))

/** The prompt id in a "[Job Submitted]\nID: <id>" reply. */
export const submittedPromptId = (text: string): string | undefined => /^\[Job Submitted\]\nID: (\S+)/.exec(text)?.[1]

/** Kills the service with SIGKILL (no finalizers, no graceful shutdown) and waits for it to exit. */
export const killService = async (service: ServiceProcess): Promise<void> => {
  process.kill(service.pid, "SIGKILL")
  await service.exited
}

export interface LedgerRow {
  readonly id: string
  readonly state: string
  readonly attempts: number
  readonly statusRef: string | null
  readonly targetChannelId: string
  readonly targetThreadId: string
}

export interface ReceiptRow {
  readonly itemIndex: number
  readonly rung: string
  readonly outcome: string
  readonly platformRef: string
}

/**
 * One read of the service's ledger (`<workDir>/data/connector.sqlite`, as ServiceProcess sets the
 * state dir), opened read-only for the call and closed again; the service keeps writing meanwhile.
 */
export const readLedger = (workDir: string, entryId: string): { entry: LedgerRow | undefined; receipts: ReadonlyArray<ReceiptRow> } => {
  const db = new Database(join(workDir, "data", "connector.sqlite"), { readonly: true, fileMustExist: true })
  try {
    const entry = db.prepare(
      `SELECT id, state, attempts, status_ref AS statusRef, target_channel_id AS targetChannelId,
              target_thread_id AS targetThreadId FROM job_ledger WHERE id = ?`
    ).get(entryId) as LedgerRow | undefined
    const receipts = db.prepare(
      `SELECT item_index AS itemIndex, rung, outcome, platform_ref AS platformRef
         FROM job_ledger_receipts WHERE entry_id = ? ORDER BY seq`
    ).all(entryId) as Array<ReceiptRow>
    return { entry, receipts }
  } finally {
    db.close()
  }
}
