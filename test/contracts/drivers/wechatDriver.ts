import { Effect, Option, Redacted } from "effect"
import { aesConfigOf } from "../../../src/adapters/wechat/Inbound.js"
import { makeWeChatApi } from "../../../src/adapters/wechat/WeChatApi.js"
import { wechatRoutes } from "../../../src/adapters/wechat/WeChatWebhook.js"
import { makeWeChatClient, nowSeconds, textMessageXml } from "../../e2e/support/WeChatClient.js"
import type { DriverRequest, WebhookDriver } from "../WebhookDriver.js"

/**
 * WeChat Official Account for the shared webhook contract suite: plain-mode text messages with
 * a signed query (signature over token, timestamp and nonce; the body is not covered, the nonce
 * is single-use). The passive reply is in the HTTP answer, so nothing goes out of band for a fast
 * command. A replay of the same request is refused by its nonce: 403 "Replay Rejected".
 * "Undecodable" is a correctly signed query with a body that is not XML (400 "Bad Request").
 */
const TOKEN = "contract-wechat-token"
const APP_ID = "wx_contract_app"
const AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
const PATH = "/wechat/webhook"

// Only the path of `url` is used to build targets; the harness supplies the origin.
const client = makeWeChatClient({ url: `http://127.0.0.1${PATH}`, token: TOKEN, appId: APP_ID, encodingAesKey: AES_KEY })

const asRequest = (d: { readonly target: string; readonly body: string }): DriverRequest => ({
  method: "POST",
  target: d.target,
  headers: { "content-type": "text/xml; charset=utf-8" },
  body: d.body
})

const withQuery = (request: DriverRequest, edit: (q: URLSearchParams) => void): DriverRequest => {
  const [path, search] = request.target.split("?") as [string, string | undefined]
  const q = new URLSearchParams(search ?? "")
  edit(q)
  return { ...request, target: `${path}?${q}` }
}

let serial = 0
const textFrom = (n: number, text: string, createTime?: string) =>
  textMessageXml({ from: `ocontract${n}`, content: text, msgId: `${Date.now()}${n}${++serial}`, ...(createTime ? { createTime } : {}) })

export const wechatDriver: WebhookDriver = {
  platform: "wechat",
  routes: (env) =>
    Effect.map(
      makeWeChatApi({ apiRoot: env.platformApiRoot, appId: Option.some(APP_ID), appSecret: Option.some(Redacted.make("contract-secret")) }),
      (api) =>
        wechatRoutes({
          path: PATH,
          token: Redacted.make(TOKEN),
          aes: aesConfigOf(Option.some(Redacted.make(AES_KEY)), Option.some(APP_ID)),
          allowedUsers: [],
          api
        })
    ),
  platformAnswer: (path) =>
    path === "/cgi-bin/token" ? { access_token: "contract-access-token", expires_in: 7200 } : { errcode: 0, errmsg: "ok" },
  message: (n, text) => asRequest(client.delivery(textFrom(n, text))),
  withoutCredential: (request) => withQuery(request, (q) => q.delete("signature")),
  withWrongCredential: (request) =>
    withQuery(request, (q) => {
      const sig = q.get("signature") ?? ""
      q.set("signature", `${sig[0] === "0" ? "1" : "0"}${sig.slice(1)}`)
    }),
  stale: (n, text) => {
    const old = String(Number(nowSeconds()) - 400)
    return asRequest(client.delivery(textFrom(n, text, old), { timestamp: old }))
  },
  undecodable: () => asRequest(client.delivery("this is not XML")),
  statuses: {
    ok: 200,
    duplicate: 403,
    undecodable: 400,
    missingCredential: 401,
    wrongCredential: 401,
    stale: 403
  },
  repliesOutOfBand: false
}
