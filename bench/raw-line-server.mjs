// The ceiling for signed LINE ingress on this runtime and machine: a bare node:http server that
// reads the body, checks X-Line-Signature (HMAC-SHA256, base64, constant time), parses the JSON
// and answers 200 "OK", with nothing else (no store, no processing, no reply call).
import { createHmac, timingSafeEqual } from "node:crypto"
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? 0)
const secret = process.argv[3] ?? "bench-line-secret"
const server = createServer((req, res) => {
  const chunks = []
  req.on("data", (c) => chunks.push(c))
  req.on("end", () => {
    const body = Buffer.concat(chunks)
    const expected = Buffer.from(createHmac("sha256", secret).update(body).digest("base64"))
    const given = Buffer.from(String(req.headers["x-line-signature"] ?? ""))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return res.writeHead(401).end("Invalid Signature")
    try { JSON.parse(body.toString("utf8")) } catch { return res.writeHead(400).end("Bad JSON") }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": 2 }).end("OK")
  })
})
server.listen(port, "127.0.0.1", () => process.stdout.write(`raw listening ${server.address().port}\n`))
process.on("SIGTERM", () => server.close(() => process.exit(0)))
