import type { Effect, Scope } from "effect"
import type { WebhookRoute } from "../../src/adapters/http/WebhookServer.js"
import type { WebhookContractServices } from "./webhookHarness.js"

/**
 * What one webhook platform gives the shared webhook contract suite (webhookContract.test.ts):
 * its routes, and how to build correctly and incorrectly signed deliveries of one message.
 * The harness serves the routes in-process on 127.0.0.1 with memory storage, a real HTTP fake
 * backend and a recording fake of the platform's outbound API (every request answered 200 with
 * `platformAnswer`'s JSON), and asserts the outcomes.
 */
export interface DriverRequest {
  readonly method: "GET" | "POST"
  /** Path plus query string, e.g. `/wechat/webhook?signature=...`. */
  readonly target: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | string
}

export interface WebhookDriver {
  readonly platform: string
  /** Built once per suite run; `platformApiRoot` is the recording fake's base URL (no trailing `/`). */
  readonly routes: (env: { readonly platformApiRoot: string }) => Effect.Effect<
    ReadonlyArray<WebhookRoute<WebhookContractServices>>,
    never,
    Scope.Scope
  >
  /** JSON the platform fake answers to every outbound call (e.g. WeChat's token answer). */
  readonly platformAnswer?: (path: string) => unknown
  /** A fresh, correctly signed delivery of one message with `text`, from a sender unique to `n`. */
  readonly message: (n: number, text: string) => DriverRequest
  /** The delivery with its credential removed; `undefined` where the platform has none (Kakao). */
  readonly withoutCredential?: (request: DriverRequest) => DriverRequest
  /** The delivery with a wrong credential. */
  readonly withWrongCredential?: (request: DriverRequest) => DriverRequest
  /** A correctly signed delivery of one message whose timestamp lies outside the window. */
  readonly stale?: (n: number, text: string) => DriverRequest
  /** A correctly signed (where the platform signs) delivery whose bytes do not decode. */
  readonly undecodable: (n: number) => DriverRequest
  readonly statuses: {
    readonly ok: number
    readonly duplicate: number
    readonly undecodable: number
    readonly missingCredential?: number
    readonly wrongCredential?: number
    readonly stale?: number
  }
  /**
   * True when the reply goes out through the platform API after the answer (LINE, WhatsApp): the
   * harness then waits for that outbound call before asserting.
   */
  readonly repliesOutOfBand: boolean
}
