/** One request as the fake received it. */
export interface RecordedCall {
  readonly method: string
  /** The path without the query string, exactly as sent (still percent-encoded). */
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  /** The body parsed as JSON; the raw text when it is not JSON; `undefined` when no body was sent. */
  readonly body: unknown
  /** The raw body text ("" when none was sent). */
  readonly rawBody: string
}

/** What a route answers. `hang` never answers; `destroy` drops the connection without a reply. */
export type FakeReply =
  | {
    readonly status: number
    readonly json?: unknown
    readonly text?: string
    readonly bytes?: Uint8Array
    readonly headers?: Readonly<Record<string, string>>
  }
  | { readonly hang: true }
  | { readonly destroy: true }

export type RouteHandler = (call: RecordedCall, params: ReadonlyArray<string>) => FakeReply | Promise<FakeReply>

export const json = (status: number, body: unknown): FakeReply => ({ status, json: body })

/** aiohttp's plain-text answer for an unknown route. */
export const notFound: FakeReply = { status: 404, text: "404: Not Found" }
export const methodNotAllowed: FakeReply = { status: 405, text: "405: Method Not Allowed" }

export interface FakeTemplate {
  readonly id: string
  readonly allowed_inputs: ReadonlyArray<string>
  readonly defaults?: Readonly<Record<string, unknown>>
}

export interface FakeSchedule {
  readonly schedule_id: string
  readonly template_id: string
  readonly name?: string
  readonly cron_expr?: string | null
  readonly interval_sec?: number | null
  readonly enabled?: boolean
}

/**
 * One `/openclaw/jobs` item as a test sets it (`FakeBackend.setJobs`): normally `{id, status,
 * create_time, ...}`, but any object, so malformed items can be served too.
 */
export type FakeJob = Readonly<Record<string, unknown>>

export interface FakeBackendOptions {
  /**
   * The server's OPENCLAW_ADMIN_TOKEN. When unset, admin routes behave like a server without a
   * token: requests lacking `Origin`/`Sec-Fetch-Site` are denied (what a headless connector sends).
   */
  readonly adminToken?: string
  /** Defaults to portrait_v1 and sdxl_basic as in spec §3.3. */
  readonly templates?: ReadonlyArray<FakeTemplate>
  readonly schedules?: ReadonlyArray<FakeSchedule>
  /** `/api/jobs/.../cancel`: `unsupported` (default) answers aiohttp's plain 404 like older ComfyUI. */
  readonly jobsCancel?: "unsupported" | "supported"
  /** `/openclaw/jobs`: `ok` (default), 501 `unsupported` or 503 `unavailable`. */
  readonly jobsMode?: "ok" | "unsupported" | "unavailable"
  /** Text of every successful LLM chat answer. */
  readonly llmText?: string
  /** When set, a queued prompt completes by itself (one output image) after this many history polls. */
  readonly completeAfterPolls?: number
  /** ComfyUI's `/ws`: `accept` (default) or `refuse` every handshake (503), to test polling fallbacks. */
  readonly websocket?: "accept" | "refuse"
}
