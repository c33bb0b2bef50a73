// The ceiling for this runtime on this machine: a bare node:http server that reads the body,
// parses the same Kakao SkillRequest JSON and answers a SkillResponse, with nothing else.
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? 0)
const server = createServer((req, res) => {
  const chunks = []
  req.on("data", (c) => chunks.push(c))
  req.on("end", () => {
    let text = "[OpenClaw] Bad JSON"
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
      text = `[OpenClaw] ${String(body?.userRequest?.utterance ?? "").trim()}`
    } catch {}
    const out = JSON.stringify({ version: "2.0", template: { outputs: [{ simpleText: { text } }] } })
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(out) })
    res.end(out)
  })
})
server.listen(port, "127.0.0.1", () => process.stdout.write(`raw listening ${server.address().port}\n`))
process.on("SIGTERM", () => server.close(() => process.exit(0)))
