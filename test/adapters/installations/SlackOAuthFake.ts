import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

/**
 * A fake Slack Web API on 127.0.0.1 that answers `oauth.v2.access` only (the OAuth tests'
 * counterpart; the events adapter has its own fake). It records every request it receives and
 * answers from a queue, falling back to the f58 fixture of spec vector V6.
 */
export interface RecordedCall {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

export interface FakeAnswer {
  readonly status: number
  readonly body: unknown
}

export const F58_ANSWER = {
  ok: true,
  app_id: "A123",
  access_token: "xoxb-first",
  scope: "chat:write,files:write",
  bot_user_id: "U_BOT_1",
  team: { id: "T1", name: "Workspace One" },
  authed_user: { id: "U_INSTALLER" },
  token_type: "bot"
}

export interface SlackOAuthFake {
  /** `http://127.0.0.1:<port>/api/`: the connector's OPENCLAW_CONNECTOR_SLACK_API_ROOT. */
  readonly apiRoot: string
  readonly calls: Array<RecordedCall>
  /** Answers for the next calls, in order. */
  readonly answers: Array<FakeAnswer>
}

export const startSlackOAuthFake = Effect.acquireRelease(
  Effect.async<{ fake: SlackOAuthFake; close: () => Promise<void> }>((resume) => {
    const calls: Array<RecordedCall> = []
    const answers: Array<FakeAnswer> = []
    const server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        calls.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") })
        const answer = req.url === "/api/oauth.v2.access"
          ? answers.shift() ?? { status: 200, body: F58_ANSWER }
          : { status: 404, body: { ok: false, error: "unknown_method" } }
        res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" })
        res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resume(Effect.succeed({
        fake: { apiRoot: `http://127.0.0.1:${port}/api/`, calls, answers },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      }))
    })
  }),
  ({ close }) => Effect.promise(close)
).pipe(Effect.map(({ fake }) => fake))
