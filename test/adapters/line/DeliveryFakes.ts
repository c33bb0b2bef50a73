import { Effect, Layer, Option } from "effect"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { DeliveryImage } from "../../../src/ports/ChatDelivery.js"
import type { DeliveryTarget } from "../../../src/domain/model/Request.js"
import { MediaError, type MediaFile, MediaStore, type StoredMedia } from "../../../src/ports/MediaStore.js"
import { closeServer, listenLocal } from "../../support/LocalHttp.js"

/**
 * Shared by the LINE, WhatsApp and WeChat delivery tests: an in-memory MediaStore double that
 * records every `put` and hands out distinct, recognisable links (`https://media.test/media/<n>`
 * and a separate preview link), or fails with a chosen MediaError reason.
 */
export interface MemoryMedia {
  readonly layer: Layer.Layer<MediaStore>
  readonly puts: ReadonlyArray<MediaFile>
  readonly stored: ReadonlyArray<StoredMedia>
  /** Every later `put` fails with this reason (`undefined`: succeeds again). */
  failWith(reason: MediaError["reason"] | undefined): void
}

export const makeMemoryMedia = (): MemoryMedia => {
  const puts: Array<MediaFile> = []
  const stored: Array<StoredMedia> = []
  const files = new Map<string, MediaFile>()
  let failure: MediaError["reason"] | undefined
  const store = MediaStore.of({
    put: (file) =>
      Effect.suspend(() => {
        if (failure !== undefined) return Effect.fail(new MediaError({ reason: failure, message: `memory media: ${failure}` }))
        puts.push(file)
        const n = puts.length
        const media: StoredMedia = {
          url: `https://media.test/media/${n}?sig=s${n}`,
          previewUrl: `https://media.test/media/${n}-preview?sig=p${n}`,
          expiresAtMillis: 4_102_444_800_000
        }
        files.set(`/${n}?sig=s${n}`, file)
        stored.push(media)
        return Effect.succeed(media)
      }),
    open: (pathAndQuery) => Effect.sync(() => Option.fromNullable(files.get(pathAndQuery)))
  })
  return {
    layer: Layer.succeed(MediaStore, store),
    puts,
    stored,
    failWith: (reason) => void (failure = reason)
  }
}

export const target = (channelId: string, senderId = channelId): DeliveryTarget => ({
  platform: "",
  channelId,
  senderId,
  workspaceId: "",
  threadId: ""
})

/** A small PNG-typed image (the bytes need not decode: platforms fetch or upload them as they are). */
export const png = (bytes = 64, filename = "ComfyUI_00001_.png"): DeliveryImage => ({
  bytes: new Uint8Array(bytes).fill(7),
  filename,
  contentType: "image/png"
})

/**
 * A server on 127.0.0.1 that accepts requests and never answers them (a send whose outcome is
 * unknown); `requests` holds the headers of the requests that reached it, in order.
 */
export const startSilentServer = async (): Promise<{
  readonly url: string
  readonly requests: ReadonlyArray<IncomingHttpHeaders>
  readonly close: () => Promise<void>
}> => {
  const requests: Array<IncomingHttpHeaders> = []
  const server = createServer((req) => void requests.push(req.headers))
  const port = await listenLocal(server)
  return { url: `http://127.0.0.1:${port}`, requests, close: () => closeServer(server) }
}

/** Polls `condition` every 10 ms until it holds; fails the test after `timeoutMs`. */
export const eventually = (condition: () => boolean, what: string, timeoutMs = 3_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })
