import type { IncomingMessage, Server } from "node:http"
import type { AddressInfo } from "node:net"

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

/** Stops listening and closes every HTTP connection still open (idle keep-alive ones included). */
export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
