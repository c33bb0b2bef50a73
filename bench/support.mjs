// Process plumbing shared by the bench scripts: free ports, starting and stopping child
// processes (by their own pid), readiness polling and result formatting. Loopback only.
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"

export const root = join(import.meta.dirname, "..")

export const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)) })
})

export const start = (args, env, ready) => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(" ") : []), ...args], { cwd: env.CWD ?? root, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  const onData = (d) => { out += d; if (ready.test(out)) resolve(child) }
  child.stdout.on("data", onData); child.stderr.on("data", onData)
  child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)))
})

// The service runs with log level "warning" (no per-request info lines), so readiness is polled.
export const untilReady = async (url, tries = 200) => {
  for (let i = 0; i < tries; i++) {
    try { if ((await fetch(url)).status < 500) return } catch {}
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`not ready: ${url}`)
}

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/** CPU time (user + system) a process has used, in microseconds; undefined where /proc is missing. */
export const cpuMicros = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) * (1e6 / TICKS_PER_SECOND)
  } catch {
    return undefined
  }
}

/** Runs `load` and returns its result with the CPU the process `pid` spent per answered request. */
export const withCpu = async (pid, load) => {
  const before = cpuMicros(pid)
  const result = await load()
  const after = cpuMicros(pid)
  const cpuPerRequest = before === undefined || after === undefined || result.requests === 0
    ? undefined
    : (after - before) / result.requests
  return { ...result, cpuPerRequest }
}

/** The environment of `node dist/main.js` with KakaoTalk on `kakaoPort`, as the Kakao benches run it. */
export const kakaoServiceEnv = ({ workDir, kakaoPort, opPort, backendPort }) => ({
  CWD: workDir,
  OPENCLAW_CONNECTOR_STATE_DIR: join(workDir, "data"),
  OPENCLAW_CONNECTOR_URL: `http://127.0.0.1:${backendPort}`,
  OPENCLAW_CONNECTOR_KAKAO_ENABLED: "true",
  OPENCLAW_CONNECTOR_KAKAO_PORT: String(kakaoPort),
  OPENCLAW_CONNECTOR_OPERATOR_PORT: String(opPort),
  OPENCLAW_CONNECTOR_LOG_LEVEL: "warning"
})

export const stop = (child) => new Promise((resolve) => { child.removeAllListeners("exit"); child.once("exit", resolve); child.kill("SIGTERM") })

export const fmt = (r) => `${r.cpuPerRequest === undefined ? "" : `${r.cpuPerRequest.toFixed(0)} µs CPU/request, `}${r.throughput.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms, errors ${r.errors}`
