/** Builds Kakao i Open Builder skill requests the way Kakao sends them, and posts them. */
export interface SkillRequestOptions {
  readonly userId: string
  readonly utterance: string
  readonly callbackUrl?: string
}

export const skillRequest = (o: SkillRequestOptions) => ({
  intent: { id: "intent-1", name: "openclaw" },
  userRequest: {
    timezone: "Asia/Seoul",
    params: { ignoreMe: "true" },
    block: { id: "block-1", name: "openclaw" },
    utterance: o.utterance,
    lang: "ko",
    user: { id: o.userId, type: "botUserKey", properties: { botUserKey: o.userId } },
    ...(o.callbackUrl ? { callbackUrl: o.callbackUrl } : {})
  },
  bot: { id: "bot-1", name: "OpenClaw" },
  action: { name: "openclaw", clientExtra: null, params: {}, id: "action-1", detailParams: {} }
})

export interface SkillAnswer {
  readonly status: number
  readonly contentType: string
  readonly raw: string
  readonly json: any
  /** All simpleText texts joined by "\n". */
  readonly text: string
  readonly quickReplies: ReadonlyArray<{ label: string; action: string; messageText: string }>
}

export const postRaw = async (url: string, body: string | Uint8Array, contentType = "application/json"): Promise<SkillAnswer> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body })
  const raw = await res.text()
  let json: any = undefined
  try { json = JSON.parse(raw) } catch { json = undefined }
  const outputs: Array<any> = json?.template?.outputs ?? []
  return {
    status: res.status,
    contentType: res.headers.get("content-type") ?? "",
    raw,
    json,
    text: outputs.map((o) => o?.simpleText?.text).filter((t) => typeof t === "string").join("\n"),
    quickReplies: json?.template?.quickReplies ?? []
  }
}

export const sendSkill = (url: string, o: SkillRequestOptions) => postRaw(url, JSON.stringify(skillRequest(o)))
