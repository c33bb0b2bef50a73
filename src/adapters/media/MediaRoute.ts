import { Clock, Effect, Option } from "effect"
import { MediaStore } from "../../ports/MediaStore.js"
import type { RawResponse, WebhookRoute } from "../http/WebhookServer.js"
import { mediaResponse, type MediaHttpResponse, mediaSubPath, normalizeMediaPath, notFound } from "./MediaResponse.js"
import { peekExpiry } from "./MediaToken.js"

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
              // The store accepted the token, so its expiry is the signed one.
              const left = Option.match(peekExpiry(sub), { onNone: () => 0, onSome: (exp) => exp - now / 1000 })
              return mediaResponse(f, left)
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

/** A WebhookServer route with the store given (no requirement). HEAD is answered by WebhookServer. */
export const mediaRouteWith = (options: { readonly path: string; readonly store: Store }): WebhookRoute<never> => ({
  method: "GET",
  path: mediaRoutePath(options.path),
  match: "prefix",
  handle: (request) =>
    Effect.map(serveMedia(options.store, options.path, request.path, request.query.toString()), toRaw)
})

/** A WebhookServer route that takes the MediaStore from the context. */
export const mediaRoute = (options: { readonly path: string }): WebhookRoute<MediaStore> => ({
  method: "GET",
  path: mediaRoutePath(options.path),
  match: "prefix",
  handle: (request) =>
    Effect.flatMap(MediaStore, (store) => serveMedia(store, options.path, request.path, request.query.toString())).pipe(
      Effect.map(toRaw)
    )
})
