import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * Runs the built service (`node dist/main.js`) as a child process for end-to-end tests.
 * It starts in a fresh temporary working directory (its own state dir and no stray `.env`),
 * with only the environment the test gives it plus PATH, and is stopped by its own pid.
 */
export interface ServiceProcess {
  readonly pid: number
  readonly output: () => string
  /** Resolves when a line matching `pattern` has been printed (stdout or stderr). */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>
  readonly exited: Promise<number | null>
  readonly stop: () => Promise<number | null>
  readonly workDir: string
}

const mainJs = join(import.meta.dirname, "..", "..", "..", "dist", "main.js")

/** A free TCP port on 127.0.0.1 (bound, read and released). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })

export const startService = (env: Record<string, string>, options: { readonly workDir?: string } = {}): ServiceProcess => {
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "openclaw-e2e-"))
  const child: ChildProcess = spawn(process.execPath, [mainJs], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? "", OPENCLAW_CONNECTOR_STATE_DIR: join(workDir, "data"), ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let buffer = ""
  const waiters = new Set<() => void>()
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    for (const w of [...waiters]) w()
  }
  child.stdout?.on("data", onData)
  child.stderr?.on("data", onData)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  exited.then(() => { for (const w of [...waiters]) w() })

  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      let done = false
      const check = () => {
        if (done) return
        const match = buffer.match(pattern)
        if (match) {
          done = true
          waiters.delete(check)
          clearTimeout(timer)
          resolve(match[0])
        } else if (child.exitCode !== null) {
          done = true
          waiters.delete(check)
          clearTimeout(timer)
          reject(new Error(`service exited (${child.exitCode}) before printing ${pattern}:\n${buffer}`))
        }
      }
      const timer = setTimeout(() => {
        done = true
        waiters.delete(check)
        reject(new Error(`timed out waiting for ${pattern}:\n${buffer}`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })

  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGTERM")
    const code = await exited
    if (!options.workDir) rmSync(workDir, { recursive: true, force: true })
    return code
  }
  return { pid: child.pid ?? -1, output: () => buffer, waitFor, exited, stop, workDir }
}
