import { Either, Schema } from "effect"
import { XMLParser, XMLValidator } from "fast-xml-parser"

/**
 * WeChat message XML under hard budgets (spec §6.6; bug X7 fixed). Checked in this order:
 * 1. at most 64 KiB of bytes;
 * 2. valid UTF-8;
 * 3. no DTD or entity declaration in the document: any `<!` markup outside CDATA sections and
 *    comments is refused (and `<` inside attribute values, which could hide one). User text
 *    inside CDATA that merely contains `<!ENTITY` is accepted;
 * 4. well-formed XML with exactly one root element (fast-xml-parser's validator);
 * 5. depth at most 3 (root = 1), at most 30 children of the root, each value (trimmed) at most
 *    10 000 characters.
 * The parser never expands entities beyond the five predefined ones and character references
 * (decoded here, in text outside CDATA only), keeps CDATA verbatim, parses no numbers and
 * ignores attributes. The result is a flat map of the root's direct children: tag -> trimmed
 * leading text (a repeated tag keeps its last value); the root's name is not checked.
 * Every failure is a typed `XmlRejected`; no input throws.
 */
export class XmlRejected extends Schema.TaggedError<XmlRejected>()("XmlRejected", {
  reason: Schema.Literal(
    "too-large",
    "invalid-utf8",
    "dtd-entity",
    "malformed",
    "too-deep",
    "too-many-fields",
    "value-too-long"
  )
}) {
  override get message(): string {
    return this.reason === "dtd-entity" ? "XML rejected: DTD/entity declarations are not allowed" : `XML rejected: ${this.reason}`
  }
}

export type WeChatFields = Readonly<Record<string, string>>

export const MAX_XML_BYTES = 65_536
export const MAX_DEPTH = 3
export const MAX_FIELDS = 30
export const MAX_VALUE_CHARS = 10_000

const CDATA = "__cdata"
const TEXT = "#text"

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: false,
  cdataPropName: CDATA,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // A bound on nesting while parsing; the exact depth rule is checked on the tree below.
  maxNestedTags: MAX_DEPTH + 1
})

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Finds markup the parser must never see: a declaration (`<!DOCTYPE`, `<!ENTITY`, `<!ELEMENT`...)
 * outside CDATA sections and comments, or a `<` inside a quoted attribute value (not XML, and a
 * way to hide a declaration from a scan that does not know about attributes). An unterminated
 * CDATA, comment or tag ends the scan; the validator then refuses the document as malformed.
 */
export const forbiddenMarkup = (xml: string): "dtd-entity" | "malformed" | undefined => {
  let at = 0
  const skipTo = (from: number, end: string): number => {
    const found = xml.indexOf(end, from)
    return found < 0 ? xml.length : found + end.length
  }
  while (at < xml.length) {
    const open = xml.indexOf("<", at)
    if (open < 0) return undefined
    if (xml.startsWith("<![CDATA[", open)) at = skipTo(open + 9, "]]>")
    else if (xml.startsWith("<!--", open)) at = skipTo(open + 4, "-->")
    else if (xml.startsWith("<!", open)) return "dtd-entity"
    else if (xml.startsWith("<?", open)) at = skipTo(open + 2, "?>")
    else {
      // Inside a tag: skip quoted attribute values up to the closing `>`.
      let i = open + 1
      for (; i < xml.length && xml[i] !== ">"; i++) {
        const quote = xml[i]
        if (quote !== "\"" && quote !== "'") continue
        const close = xml.indexOf(quote, i + 1)
        const value = close < 0 ? xml.slice(i + 1) : xml.slice(i + 1, close)
        if (value.includes("<")) return "malformed"
        i = close < 0 ? xml.length : close
      }
      at = i + 1
    }
  }
  return undefined
}

type Node = Record<string, unknown>

const PREDEFINED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" }

/** Decodes the predefined entities and character references of text outside CDATA. */
const decodeText = (text: string): string | undefined => {
  let ok = true
  const decoded = text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);|&/g, (match, ref: string | undefined) => {
    if (ref === undefined) {
      ok = false
      return match
    }
    if (ref.startsWith("#")) {
      const code = ref.startsWith("#x") ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
      if (!(code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)))) {
        ok = false
        return match
      }
      return String.fromCodePoint(code)
    }
    const named = PREDEFINED[ref]
    if (named === undefined) ok = false
    return named ?? match
  })
  return ok ? decoded : undefined
}

const tagOf = (node: Node): string | undefined => Object.keys(node).find((k) => k !== ":@")

/** Depth of the element subtree rooted at `nodes`' parent (parent = `depth`). */
const maxDepth = (nodes: ReadonlyArray<Node>, depth: number): number => {
  let deepest = depth
  for (const node of nodes) {
    const tag = tagOf(node)
    if (tag === undefined || tag === TEXT || tag === CDATA) continue
    deepest = Math.max(deepest, maxDepth(node[tag] as ReadonlyArray<Node>, depth + 1))
    if (deepest > MAX_DEPTH) return deepest
  }
  return deepest
}

/** The text before the first child element (ElementTree's `.text`), CDATA verbatim. */
const leadingText = (children: ReadonlyArray<Node>): string | undefined => {
  let text = ""
  for (const child of children) {
    if (TEXT in child) {
      const decoded = decodeText(String(child[TEXT]))
      if (decoded === undefined) return undefined
      text += decoded
    } else if (CDATA in child) {
      for (const part of child[CDATA] as ReadonlyArray<Node>) text += String(part[TEXT] ?? "")
    } else break
  }
  return text
}

const reject = (reason: XmlRejected["reason"]) => Either.left(new XmlRejected({ reason }))

export const parseWeChatXml = (raw: Uint8Array): Either.Either<WeChatFields, XmlRejected> => {
  if (raw.byteLength > MAX_XML_BYTES) return reject("too-large")
  let xml: string
  try {
    xml = utf8.decode(raw)
  } catch {
    return reject("invalid-utf8")
  }
  const forbidden = forbiddenMarkup(xml)
  if (forbidden !== undefined) return reject(forbidden)
  let tree: ReadonlyArray<Node>
  try {
    if (XMLValidator.validate(xml) !== true) return reject("malformed")
    tree = parser.parse(xml) as ReadonlyArray<Node>
  } catch (error) {
    return reject(String(error).includes("nested") ? "too-deep" : "malformed")
  }
  const roots = tree.filter((node) => {
    const tag = tagOf(node)
    return tag !== undefined && tag !== TEXT && tag !== CDATA
  })
  if (roots.length !== 1 || tree.some((node) => CDATA in node || (TEXT in node && String(node[TEXT]).trim() !== ""))) {
    return reject("malformed")
  }
  const root = roots[0]!
  const children = root[tagOf(root)!] as ReadonlyArray<Node>
  if (maxDepth(children, 1) > MAX_DEPTH) return reject("too-deep")

  const elements = children.filter((c) => !(TEXT in c) && !(CDATA in c) && tagOf(c) !== undefined)
  if (elements.length > MAX_FIELDS) return reject("too-many-fields")
  const fields: Record<string, string> = {}
  for (const element of elements) {
    const tag = tagOf(element)!
    if (tag === "__proto__") return reject("malformed")
    const text = leadingText(element[tag] as ReadonlyArray<Node>)
    if (text === undefined) return reject("malformed")
    const value = text.trim()
    if (value.length > MAX_VALUE_CHARS && Array.from(value).length > MAX_VALUE_CHARS) return reject("value-too-long")
    fields[tag] = value
  }
  return Either.right(fields)
}
