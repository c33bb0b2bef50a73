// Signed LINE `/help` ingress: the built service (node dist/main.js: signature check on the raw
// body, decode, per-event freshness and replay claim in SQLite, acknowledge, then rate limit,
// parse, authorize, render and a reply call to a fake LINE API) next to a raw node:http server
// that checks the same signature, parses the JSON and answers: 20 connections, 10 s each.
// Every delivery carries one fresh event from a distinct user with its own webhookEventId.
// Reports the acknowledged rate and latency, and how many replies reached the LINE API by the
// end of the run (processing follows acknowledgement, bounded by the processing gate).
// Usage: npm run bench:line   (BENCH_SECONDS and BENCH_CONNECTIONS override the defaults)
import { createHmac } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runLoad } from "./load.mjs"
import { fmt, freePort, root, start, stop, untilReady, withCpu } from "./support.mjs"

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)
const SECRET = "bench-line-secret"

const delivery = (i) => {
  const body = JSON.stringify({
    destination: "Ubench",
    events: [{
      type: "message",
      mode: "active",
      timestamp: Date.now(),
      webhookEventId: `01BENCH${String(i).padStart(18, "0")}`,
      deliveryContext: { isRedelivery: false },
      replyToken: `rt${i}`,
      source: { type: "user", userId: `Ubench${i}` },
      message: { id: String(i), type: "text", quoteToken: "q", text: "/help" }
    }]
  })
  return { body, headers: { "x-line-signature": createHmac("sha256", SECRET).update(body).digest("base64") } }
}

const main = async () => {
  const workDir = mkdtempSync(join(tmpdir(), "openclaw-bench-line-"))
  const [rawPort, linePort, opPort, apiPort, deadPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
  const results = {}
  let replies = 0
  try {
    const raw = await start([join(root, "bench/raw-line-server.mjs"), String(rawPort), SECRET], {}, /raw listening/)
    const rawUrl = `http://127.0.0.1:${rawPort}/line/webhook`
    await runLoad({ url: rawUrl, connections, durationMs: 1000, body: delivery })
    results.raw = await withCpu(raw.pid, () => runLoad({ url: rawUrl, connections, durationMs: seconds * 1000, body: delivery }))
    await stop(raw)

    const api = await start([join(root, "bench/fake-line-api.mjs"), String(apiPort)], {}, /line api listening/)
    const svc = await start([join(root, "dist/main.js")], {
      CWD: workDir,
      OPENCLAW_CONNECTOR_STATE_DIR: join(workDir, "data"),
      OPENCLAW_CONNECTOR_URL: `http://127.0.0.1:${deadPort}`,
      OPENCLAW_CONNECTOR_LINE_CHANNEL_SECRET: SECRET,
      OPENCLAW_CONNECTOR_LINE_CHANNEL_ACCESS_TOKEN: "bench-access-token",
      OPENCLAW_CONNECTOR_LINE_PORT: String(linePort),
      OPENCLAW_CONNECTOR_LINE_API_ROOT: `http://127.0.0.1:${apiPort}`,
      OPENCLAW_CONNECTOR_OPERATOR_PORT: String(opPort),
      OPENCLAW_CONNECTOR_LOG_LEVEL: "warning"
    }, /./)
    await untilReady(`http://127.0.0.1:${opPort}/healthz`)
    await untilReady(`http://127.0.0.1:${linePort}/line/webhook`)
    const url = `http://127.0.0.1:${linePort}/line/webhook`
    await runLoad({ url, connections, durationMs: 1000, body: (i) => delivery(1e9 + i) })
    const before = Number(await (await fetch(`http://127.0.0.1:${apiPort}/count`)).text())
    results.service = await withCpu(svc.pid, () => runLoad({ url, connections, durationMs: seconds * 1000, body: delivery }))
    replies = Number(await (await fetch(`http://127.0.0.1:${apiPort}/count`)).text()) - before
    await stop(svc)
    await stop(api)
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
  const ratio = results.service.throughput / results.raw.throughput
  console.log(`Signed LINE /help ingress, ${connections} connections, ${seconds} s each, loopback, node ${process.version}`)
  console.log(`  raw node:http ceiling : ${fmt(results.raw)}`)
  console.log(`  connector (dist/main) : ${fmt(results.service)}`)
  console.log(`  replies at the LINE API during the run: ${replies} (${(replies / results.service.seconds).toFixed(0)}/s)`)
  console.log(`  ratio ${(ratio * 100).toFixed(1)}% of raw (goal >= 40%), p99 ${results.service.p99.toFixed(2)} ms (goal < 10 ms)`)
  const pass = ratio >= 0.4 && results.service.p99 < 10 && results.service.errors === 0
  console.log(pass ? "  GOAL MET" : "  GOAL NOT MET")
}

main().catch((e) => { console.error(e); process.exit(1) })
