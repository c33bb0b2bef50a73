// Where a KakaoTalk `/help` webhook spends its CPU: the same load as bench/kakao-ingress.mjs
// against the raw node:http ceiling and four growing layers of the real Kakao path
// (bench/kakao-layers-server.mjs), reading each server process's CPU time from /proc (Linux).
// CPU per request is the figure to compare: throughput under the shared-core load generator
// follows from it. Usage: npm run bench:layers   (BENCH_SECONDS, BENCH_CONNECTIONS override;
// LAYERS=constant,replay-memory,... picks and orders the layers, see kakao-layers-server.mjs)
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runLoad } from "./load.mjs"
import { fmt, freePort, kakaoServiceEnv, root, start, stop, untilReady, withCpu } from "./support.mjs"

const seconds = Number(process.env.BENCH_SECONDS ?? 6)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)

const body = (i) => JSON.stringify({
  userRequest: { utterance: "/help", user: { id: `layers-user-${i}`, type: "botUserKey" }, block: { id: "b", name: "b" } },
  bot: { id: "bot", name: "bench" }, action: { id: "a", name: "a", params: {} }
})

const measure = async (args, url, env = {}, ready = /listening/) => {
  const child = await start(args, env, ready)
  try {
    await untilReady(url) // a GET: 404 or 405 once listening
    await runLoad({ url, connections, durationMs: 1000, body: (i) => body(1e9 + i) }) // warm-up
    return await withCpu(child.pid, () => runLoad({ url, connections, durationMs: seconds * 1000, body }))
  } finally {
    await stop(child)
  }
}

const main = async () => {
  const rows = []
  const rawPort = await freePort()
  rows.push(["raw node:http", await measure([join(root, "bench/raw-kakao-server.mjs"), String(rawPort)], `http://127.0.0.1:${rawPort}/`)])
  for (const variant of (process.env.LAYERS ?? "constant,decode-render,replay,full").split(",")) {
    const stateDir = mkdtempSync(join(tmpdir(), "openclaw-bench-layers-"))
    try {
      const port = await freePort()
      const args = [join(root, "bench/kakao-layers-server.mjs"), variant, String(port), stateDir]
      rows.push([variant, await measure(args, `http://127.0.0.1:${port}/kakao/webhook`)])
    } finally {
      rmSync(stateDir, { recursive: true, force: true })
    }
  }
  {
    const stateDir = mkdtempSync(join(tmpdir(), "openclaw-bench-layers-"))
    try {
      const [port, opPort] = [await freePort(), await freePort()]
      const env = kakaoServiceEnv({ workDir: stateDir, kakaoPort: port, opPort, backendPort: 9 })
      // At level warning the service prints its startup warnings (any output), then is polled.
      rows.push(["service", await measure([join(root, "dist/main.js")], `http://127.0.0.1:${port}/kakao/webhook`, env, /./)])
    } finally {
      rmSync(stateDir, { recursive: true, force: true })
    }
  }
  console.log(`KakaoTalk /help cost by layer, ${connections} connections, ${seconds} s each, loopback, node ${process.version}`)
  // A layer's cost is measured against the latest run of the layer it is built on.
  const builtOn = { "decode-render": "constant", replay: "decode-render", "replay-memory": "decode-render", full: "replay" }
  rows.forEach(([name, r], i) => {
    const base = rows.slice(0, i).findLast(([n]) => n === builtOn[name])?.[1]
    const added = r.cpuPerRequest !== undefined && base?.cpuPerRequest !== undefined
      ? ` (layer adds ${(r.cpuPerRequest - base.cpuPerRequest).toFixed(0)} µs)` : ""
    console.log(`  ${name.padEnd(14)}: ${fmt(r)}${added}`)
  })
  const raw = rows[0][1]
  console.log(`  throughput as a share of raw: ${rows.slice(1).map(([n, r]) => `${n} ${(100 * r.throughput / raw.throughput).toFixed(0)}%`).join(", ")}`)
}

main().catch((e) => { console.error(e); process.exit(1) })
