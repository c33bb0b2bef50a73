// A small closed-loop HTTP load generator: N keep-alive connections, each sending its next
// request as soon as the previous answer arrived, for a fixed duration. Bounded in count and
// time, loopback only. `body(i)` returns the i-th request body, or `{ body, headers }`.
import http from "node:http"

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

export const runLoad = ({ url, connections, durationMs, body }) =>
  new Promise((resolve) => {
    const target = new URL(url)
    if (target.hostname !== "127.0.0.1") throw new Error("load is only ever sent to 127.0.0.1")
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
    const latencies = []
    let ok = 0, errors = 0, seq = 0, active = connections
    const started = process.hrtime.bigint()
    const deadline = started + BigInt(durationMs) * 1_000_000n
    const one = () => {
      if (process.hrtime.bigint() >= deadline) {
        if (--active === 0) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9
          agent.destroy()
          latencies.sort((a, b) => a - b)
          resolve({
            requests: ok, errors, seconds,
            throughput: ok / seconds,
            p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1)
          })
        }
        return
      }
      const made = body(seq++)
      const payload = typeof made === "string" ? made : made.body
      const extra = typeof made === "string" ? {} : made.headers
      const t0 = process.hrtime.bigint()
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: "POST",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...extra } },
        (res) => {
          res.resume()
          res.on("end", () => {
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6)
            if (res.statusCode === 200) ok++; else errors++
            one()
          })
        })
      req.on("error", () => { errors++; one() })
      req.end(payload)
    }
    for (let i = 0; i < connections; i++) one()
  })
