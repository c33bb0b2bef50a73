import type { Reply } from "../../domain/model/Reply.js"
import { isPublicHttpsUrl } from "../http/PublicUrl.js"
import { chunkText, isBlank } from "../../domain/render/Chunk.js"

export { chunkText }

/**
 * Kakao i Open Builder SkillResponse v2.0 (spec platforms-webhook-polling.md §7.3), with bug K3
 * fixed: no bubble ever holds only the prefix (or only whitespace), and the `...(more)` marker
 * is fitted inside the bubble's limit instead of pushing it past 1000 characters.
 */

export const PREFIX = "[OpenClaw] "
export const MAX_TEXT_LENGTH = 1000
export const MAX_OUTPUTS = 3
export const MAX_QUICK_REPLIES = 10
export const MAX_LABEL_LENGTH = 14
export const MORE_MARKER = "\n...(more)"

export type SkillOutput =
  | { readonly simpleText: { readonly text: string } }
  | { readonly simpleImage: { readonly imageUrl: string; readonly altText: string } }

export interface QuickReply {
  readonly label: string
  readonly action: "message"
  readonly messageText: string
}

export interface SkillResponse {
  readonly version: "2.0"
  readonly template: {
    readonly outputs: ReadonlyArray<SkillOutput>
    readonly quickReplies?: ReadonlyArray<QuickReply>
  }
}

/** The immediate answer of callback mode; the real SkillResponse is POSTed to the callbackUrl. */
export interface CallbackAck {
  readonly version: "2.0"
  readonly useCallback: true
  readonly data: { readonly text: string }
}

/** `value` is what a tap sends back as the utterance; it defaults to the label. */
export interface QuickReplyInput {
  readonly label: string
  readonly value?: string | undefined
}

export interface FormatOptions {
  readonly imageUrl?: string | undefined
  readonly quickReplies?: ReadonlyArray<QuickReplyInput> | undefined
  /** Default `[OpenClaw] `; `""` turns the prefix off. */
  readonly prefix?: string | undefined
  /** Characters per bubble (default 1000); must exceed the prefix and the marker to use them. */
  readonly maxTextLength?: number | undefined
}

/** Kakao renders no markdown: `**x**`, `*x*`, `` `x` `` and `[x](url)` become `x`, within a line. */
export const stripMarkdown = (text: string): string =>
  text
    .replace(/\*\*(.*?)\*\*/g, "$1")
    .replace(/\*(.*?)\*/g, "$1")
    .replace(/`(.*?)`/g, "$1")
    .replace(/\[(.*?)\]\(.*?\)/g, "$1")


const codePoints = (s: string, max: number) => Array.from(s).slice(0, max).join("")

const quickRepliesOf = (inputs: ReadonlyArray<QuickReplyInput>): Array<QuickReply> =>
  inputs
    .flatMap((input) => {
      const label = input.label.trim()
      if (label === "") return []
      const value = (input.value ?? label).trim() || label
      return [{ label: codePoints(label, MAX_LABEL_LENGTH), action: "message" as const, messageText: value }]
    })
    .slice(0, MAX_QUICK_REPLIES)

/** `text` (+ optional image and quick replies) as a SkillResponse; see the module comment. */
export const formatSkillResponse = (text: string, options: FormatOptions = {}): SkillResponse => {
  const prefix = options.prefix ?? PREFIX
  const limit = options.maxTextLength ?? MAX_TEXT_LENGTH
  const outputs: Array<SkillOutput> = []
  let body = text

  if (options.imageUrl !== undefined && options.imageUrl !== "") {
    if (isPublicHttpsUrl(options.imageUrl)) {
      outputs.push({ simpleImage: { imageUrl: options.imageUrl, altText: text ? codePoints(text, 100) : "Image" } })
    } else {
      body = body ? `${body}\n(Image: ${options.imageUrl})` : `(Image: ${options.imageUrl})`
    }
  }

  const stripped = stripMarkdown(body)
  const content = (stripped.startsWith(prefix) ? stripped.slice(prefix.length) : stripped).trimStart()
  if (!isBlank(content)) {
    const chunks = chunkText(prefix + content, limit, prefix.length)
    const slots = MAX_OUTPUTS - outputs.length
    const shown = chunks.length > slots ? [...chunks.slice(0, slots - 1), withMore(chunks[slots - 1]!, limit, slots === 1 ? prefix.length : 0)] : chunks
    for (const chunk of shown) outputs.push({ simpleText: { text: chunk } })
  }
  if (outputs.length === 0) outputs.push({ simpleText: { text: `${prefix}(empty response)` } })

  const quickReplies = quickRepliesOf(options.quickReplies ?? [])
  return {
    version: "2.0",
    template: quickReplies.length > 0 ? { outputs, quickReplies } : { outputs }
  }
}

/** The last shown bubble when text remains: shortened so that it plus the marker fits the limit. */
const withMore = (chunk: string, limit: number, protect: number): string => {
  const budget = limit - MORE_MARKER.length
  if (budget <= protect) return chunk // a limit too small for the marker: cut silently
  return chunkText(chunk, budget, protect)[0]!.trimEnd() + MORE_MARKER
}

/**
 * A core reply as a SkillResponse. Buttons become quick replies whose tap sends the button's
 * command (`/approve apr_1`) as an ordinary utterance, which goes through the normal policy again.
 */
export const skillResponseOf = (reply: Reply): SkillResponse => {
  const quickReplies = reply.buttons.map((b) => ({ label: b.label, value: b.command }))
  return reply.text !== "" || quickReplies.length > 0
    ? formatSkillResponse(reply.text, { quickReplies })
    : formatSkillResponse("Command processed.")
}

export const callbackAck = (text = `${PREFIX}Working on it...`): CallbackAck => ({
  version: "2.0",
  useCallback: true,
  data: { text }
})
