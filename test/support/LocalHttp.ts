import { Effect } from "effect"
import type { IncomingMessage, Server } from "node:http"
import { type AddressInfo, createServer } from "node:net"

/**
 * Plumbing shared by the fake platform APIs the tests start: every fake listens on 127.0.0.1 on a
 * free port and, when closed, drops its keep-alive connections so a test never waits on them.
 */

/** The whole request body. */
export const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

/** Listens on 127.0.0.1 on a free port; resolves with the port. */
export const listenLocal = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  })

/** A port free on 127.0.0.1 right now (for a server under test that must be given one). */
export const freePort: Effect.Effect<number> = Effect.async<number>((resume) => {
  const probe = createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as AddressInfo
    probe.close(() => resume(Effect.succeed(port)))
  })
})

/** Stops listening and closes every HTTP connection still open (idle keep-alive ones included). */
export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })

/**
 * Waiting on the calls a fake has recorded: `waitFor` resolves with a copy of them once
 * `predicate` holds (checked now and after every `notify`), or fails after `timeoutMs` with the
 * fake's name and `describe(calls)`, so a failed end-to-end test shows what the fake saw.
 */
export const callWaiters = <C>(name: string, calls: ReadonlyArray<C>, describe: (calls: ReadonlyArray<C>) => string) => {
  const waiters = new Set<() => void>()
  return {
    /** Call after recording a call. */
    notify: (): void => {
      for (const w of [...waiters]) w()
    },
    waitFor: (predicate: (calls: ReadonlyArray<C>) => boolean, timeoutMs = 10_000): Promise<ReadonlyArray<C>> =>
      new Promise((done, fail) => {
        const check = () => {
          if (!predicate(calls)) return
          waiters.delete(check)
          clearTimeout(timer)
          done([...calls])
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          fail(new Error(`${name}: condition not met within ${timeoutMs} ms; calls: ${describe(calls)}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
  }
}
