import { Clock, Effect, Option } from "effect"
import { MediaStore } from "../../ports/MediaStore.js"
import type { RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { expiresAtOf, mediaResponse, type MediaHttpResponse, mediaSubPath, normalizeMediaPath, notFound } from "./MediaResponse.js"

/**
 * The media route (`GET`/`HEAD <MEDIA_PATH>/<token>`), for any server: `serveMedia` is the whole
 * behaviour over a request path and query; `mediaRoute` wraps it for WebhookServer (the LINE and
 * WhatsApp servers), OperatorServer.ts wraps it for the operator server.
 */
type Store = MediaStore["Type"]

/**
 * Answers one request for `requestPath` (as received, before `?`) and its raw query. Only paths
 * strictly below `mediaPath` reach the store; everything else, and everything the store does not
 * open, is the one 404.
 */
export const serveMedia = (
  store: Store,
  mediaPath: string,
  requestPath: string,
  rawQuery: string
): Effect.Effect<MediaHttpResponse> =>
  Option.match(mediaSubPath(mediaPath, requestPath), {
    onNone: () => Effect.succeed(notFound),
    onSome: (sub) => {
      const pathAndQuery = rawQuery === "" ? sub : `${sub}?${rawQuery}`
      return Effect.flatMap(store.open(pathAndQuery), (file) =>
        Option.match(file, {
          onNone: () => Effect.succeed(notFound),
          onSome: (f) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              // The expiry the store verified with the token; without one, nothing is cached.
              const expiresAt = expiresAtOf(f)
              return mediaResponse(f, expiresAt === undefined ? 0 : (expiresAt - now) / 1000)
            })
        }))
    }
  })

/** The route path WebhookServer registers for MEDIA_PATH (`/` when MEDIA_PATH is the root). */
export const mediaRoutePath = (mediaPath: string): string => normalizeMediaPath(mediaPath) || "/"

const toRaw = (response: MediaHttpResponse): RawResponse => ({
  status: response.status,
  headers: response.headers,
  body: response.body
})

/** A WebhookServer route that takes the MediaStore from the context. HEAD is answered by WebhookServer. */
export const mediaRoute = (options: { readonly path: string }): WebhookRoute<MediaStore> => ({
  method: "GET",
  path: mediaRoutePath(options.path),
  match: "prefix",
  handle: (request) =>
    Effect.flatMap(MediaStore, (store) => serveMedia(store, options.path, request.path, request.query.toString())).pipe(
      Effect.map(toRaw)
    )
})
