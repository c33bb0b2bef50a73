// KakaoTalk `/help` ingress: the built service (node dist/main.js, real pipeline: decode, replay
// claim and commit in SQLite, rate limit, parse, authorize, render) against a raw node:http
// server that parses the same JSON and answers, side by side, 20 connections for 10 s each.
// Each request comes from a distinct user so no rate limit or dedupe short-circuits the work.
// Usage: npm run bench   (BENCH_SECONDS and BENCH_CONNECTIONS override the defaults)
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runLoad } from "./load.mjs"
import { fmt, freePort, kakaoServiceEnv, root, start, stop, untilReady, withCpu } from "./support.mjs"

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)

const body = (i) => JSON.stringify({
  userRequest: { utterance: "/help", user: { id: `bench-user-${i}`, type: "botUserKey" }, block: { id: "b", name: "b" } },
  bot: { id: "bot", name: "bench" }, action: { id: "a", name: "a", params: {} }
})


const main = async () => {
  const workDir = mkdtempSync(join(tmpdir(), "openclaw-bench-"))
  const [rawPort, kakaoPort, opPort, deadPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const results = {}
  try {
    const raw = await start([join(root, "bench/raw-kakao-server.mjs"), String(rawPort)], {}, /raw listening/)
    await runLoad({ url: `http://127.0.0.1:${rawPort}/`, connections, durationMs: 1000, body }) // warm-up
    results.raw = await withCpu(raw.pid, () => runLoad({ url: `http://127.0.0.1:${rawPort}/`, connections, durationMs: seconds * 1000, body }))
    await stop(raw)

    const svc = await start([join(root, "dist/main.js")], kakaoServiceEnv({ workDir, kakaoPort, opPort, backendPort: deadPort }), /./)
    await untilReady(`http://127.0.0.1:${opPort}/healthz`)
    await untilReady(`http://127.0.0.1:${kakaoPort}/kakao/webhook`) // 405 to a GET: listening
    const url = `http://127.0.0.1:${kakaoPort}/kakao/webhook`
    await runLoad({ url, connections, durationMs: 1000, body: (i) => body(1e9 + i) }) // warm-up
    results.service = await withCpu(svc.pid, () => runLoad({ url, connections, durationMs: seconds * 1000, body }))
    await stop(svc)
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
  const ratio = results.service.throughput / results.raw.throughput
  console.log(`KakaoTalk /help ingress, ${connections} connections, ${seconds} s each, loopback, node ${process.version}`)
  console.log(`  raw node:http ceiling : ${fmt(results.raw)}`)
  console.log(`  connector (dist/main) : ${fmt(results.service)}`)
  console.log(`  ratio ${(ratio * 100).toFixed(1)}% of raw (goal >= 50%), p99 ${results.service.p99.toFixed(2)} ms (goal < 10 ms)`)
  const pass = ratio >= 0.5 && results.service.p99 < 10 && results.service.errors === 0
  console.log(pass ? "  GOAL MET" : "  GOAL NOT MET")
}

main().catch((e) => { console.error(e); process.exit(1) })
