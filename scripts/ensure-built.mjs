// `npm start` right after a fresh install: build once when dist/ is missing or older than src/.
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { execSync } from "node:child_process"

const newest = (dir) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => statSync(join(dir, f)))
    .filter((s) => s.isFile())
    .reduce((max, s) => Math.max(max, s.mtimeMs), 0)

const stale = !existsSync("dist/main.js") || newest("src") > statSync("dist/main.js").mtimeMs
if (stale) execSync("npm run build", { stdio: "inherit" })
