// A stand-in for api.line.me during the LINE bench: answers every reply/push with 200 `{}` and
// counts them; prints the count when asked on GET /count. Loopback only.
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? 0)
let replies = 0
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/count") return res.end(String(replies))
  req.resume()
  req.on("end", () => {
    replies++
    res.writeHead(200, { "content-type": "application/json" }).end("{}")
  })
})
server.listen(port, "127.0.0.1", () => process.stdout.write(`line api listening ${server.address().port}\n`))
process.on("SIGTERM", () => server.close(() => process.exit(0)))
