import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  callbackAck,
  chunkText,
  formatSkillResponse,
  MORE_MARKER,
  PREFIX,
  type SkillOutput,
  skillResponseOf,
  stripMarkdown
} from "../../../src/adapters/kakao/SkillResponse.js"
import { textReply } from "../../../src/domain/model/Reply.js"

const texts = (outputs: ReadonlyArray<SkillOutput>) =>
  outputs.flatMap((o) => ("simpleText" in o ? [o.simpleText.text] : []))

describe("SkillResponse (spec §11.4 vectors)", () => {
  it("strips markdown and adds the prefix once", () => {
    expect(texts(formatSkillResponse("Hello **World**").template.outputs)).toEqual(["[OpenClaw] Hello World"])
    expect(texts(formatSkillResponse("[OpenClaw] Hello").template.outputs)).toEqual(["[OpenClaw] Hello"])
    expect(stripMarkdown("2*3*4")).toBe("234")
    expect(stripMarkdown("a `code` and [link](https://x.y) *it*")).toBe("a code and link it")
  })

  it("the simple shape", () => {
    expect(formatSkillResponse("Hello")).toEqual({
      version: "2.0",
      template: { outputs: [{ simpleText: { text: "[OpenClaw] Hello" } }] }
    })
  })

  it("chunks at the limit, preferring newline then space", () => {
    expect(chunkText("123456789012345", 10)).toEqual(["1234567890", "12345"])
    expect(chunkText("ab cd\nef gh ij", 10)).toEqual(["ab cd\n", "ef gh ij"])
    expect(chunkText("abc defghij klm", 10)).toEqual(["abc ", "defghij ", "klm"])
  })

  it("more than 3 bubbles: 3 outputs, the last ends with the marker and stays within the limit (K3)", () => {
    const out = texts(formatSkillResponse("1".repeat(100), { prefix: "", maxTextLength: 20 }).template.outputs)
    expect(out).toEqual(["1".repeat(20), "1".repeat(20), "1".repeat(10) + MORE_MARKER])
    const long = texts(formatSkillResponse("x".repeat(5000)).template.outputs)
    expect(long).toHaveLength(3)
    expect(long[2]!.endsWith(MORE_MARKER)).toBe(true)
    expect(Math.max(...long.map((t) => t.length))).toBeLessThanOrEqual(1000)
  })

  it("a hard split never cuts a surrogate pair", () => {
    const out = texts(formatSkillResponse("😀".repeat(700)).template.outputs)
    expect(out[0]).toBe(PREFIX + "😀".repeat(494))
    expect(out.join("")).toBe(PREFIX + "😀".repeat(700))
  })

  it("a limit too small for the marker cuts without it", () => {
    const out = texts(formatSkillResponse("12345678901234567890", { prefix: "", maxTextLength: 5 }).template.outputs)
    expect(out).toEqual(["12345", "67890", "12345"])
  })

  it("never a bubble holding only the prefix (K3: no space in the first 1000 characters)", () => {
    const out = texts(formatSkillResponse("y".repeat(1500)).template.outputs)
    expect(out[0]).toBe(PREFIX + "y".repeat(1000 - PREFIX.length))
    expect(out[1]).toBe("y".repeat(1500 - (1000 - PREFIX.length)))
    expect(texts(formatSkillResponse("[OpenClaw] ").template.outputs)).toEqual(["[OpenClaw] (empty response)"])
    expect(texts(formatSkillResponse("   \n ").template.outputs)).toEqual(["[OpenClaw] (empty response)"])
  })

  it("an image takes an output slot; unsafe image URLs fall back to text", () => {
    const ok = formatSkillResponse("pic", { imageUrl: "https://example.com/img.png" }).template.outputs
    expect(ok).toEqual([
      { simpleImage: { imageUrl: "https://example.com/img.png", altText: "pic" } },
      { simpleText: { text: "[OpenClaw] pic" } }
    ])
    for (const bad of ["ftp://bad.com", "http://example.com/img.png", "https://127.0.0.1/a.png", "https://[::1]/a.png", "https://10.1.2.3/x"]) {
      const out = formatSkillResponse("pic", { imageUrl: bad }).template.outputs
      expect(out).toEqual([{ simpleText: { text: `[OpenClaw] pic\n(Image: ${bad})` } }])
    }
    expect(formatSkillResponse("", { imageUrl: "ftp://bad.com" }).template.outputs).toEqual([
      { simpleText: { text: "[OpenClaw] (Image: ftp://bad.com)" } }
    ])
    expect(formatSkillResponse("", { imageUrl: "https://example.com/i.png" }).template.outputs).toEqual([
      { simpleImage: { imageUrl: "https://example.com/i.png", altText: "Image" } }
    ])
    const withImage = formatSkillResponse("z".repeat(5000), { imageUrl: "https://example.com/i.png" }).template.outputs
    expect(withImage).toHaveLength(3)
    expect(texts(withImage)[1]!.endsWith(MORE_MARKER)).toBe(true)
  })

  it("quick replies: capped at 10, labels cut to 14, empty labels dropped, key omitted when none", () => {
    const many = Array.from({ length: 15 }, (_, i) => ({ label: `L${i}`, value: `/v ${i}` }))
    expect(formatSkillResponse("q", { quickReplies: many }).template.quickReplies).toHaveLength(10)
    const long = formatSkillResponse("q", { quickReplies: [{ label: "A".repeat(20) }] }).template.quickReplies
    expect(long).toEqual([{ label: "A".repeat(14), action: "message", messageText: "A".repeat(20) }])
    const none = formatSkillResponse("q", { quickReplies: [{ label: "  " }, { label: "" }] })
    expect("quickReplies" in none.template).toBe(false)
    const confirm = formatSkillResponse("Confirm?", { quickReplies: [{ label: "Yes", value: "yes" }, { label: "No", value: "no" }] })
    expect(confirm).toEqual({
      version: "2.0",
      template: {
        outputs: [{ simpleText: { text: "[OpenClaw] Confirm?" } }],
        quickReplies: [
          { label: "Yes", action: "message", messageText: "yes" },
          { label: "No", action: "message", messageText: "no" }
        ]
      }
    })
  })

  it("empty text gives (empty response)", () => {
    expect(formatSkillResponse("").template.outputs).toEqual([{ simpleText: { text: "[OpenClaw] (empty response)" } }])
  })

  it("a reply's approval buttons become quick replies that send the button's command", () => {
    const response = skillResponseOf({
      text: "Pending approvals",
      buttons: [
        { label: "Approve 1234abcd", command: "/approve 1234abcd-ef", actionType: "approval.approve", approvalId: "1234abcd-ef", style: "primary" },
        { label: "Reject 1234abcd", command: "/reject 1234abcd-ef", actionType: "approval.reject", approvalId: "1234abcd-ef", style: "danger" }
      ]
    })
    expect(response.template.quickReplies).toEqual([
      { label: "Approve 1234ab", action: "message", messageText: "/approve 1234abcd-ef" },
      { label: "Reject 1234abc", action: "message", messageText: "/reject 1234abcd-ef" }
    ])
    expect(texts(skillResponseOf(textReply("")).template.outputs)).toEqual(["[OpenClaw] Command processed."])
  })

  it("callback acknowledgement shape", () => {
    expect(callbackAck()).toEqual({ version: "2.0", useCallback: true, data: { text: "[OpenClaw] Working on it..." } })
  })
})

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe("SkillResponse properties", () => {
  const anyText = fc.oneof(
    fc.string({ maxLength: 5000 }),
    fc.string({ unit: "grapheme", maxLength: 3000 }),
    fc.array(fc.constantFrom("a", "b", " ", "\n", "*", "`", "[", "]", "(", ")", "😀", "한"), { maxLength: 4000 }).map((a) => a.join("")),
    fc.integer({ min: 0, max: 4000 }).map((n) => PREFIX + " ".repeat(n) + "x".repeat(4000 - n)),
    fc.array(fc.constantFrom("x", "😀", "é"), { minLength: 900, maxLength: 3500 }).map((a) => a.join(""))
  )

  it.prop("every bubble fits, at most 3 outputs, no blank or prefix-only bubble, no split surrogate", [anyText, fc.boolean()], ([text, image]) => {
    const outputs = formatSkillResponse(text, image ? { imageUrl: "https://example.com/i.png" } : {}).template.outputs
    expect(outputs.length).toBeGreaterThanOrEqual(1)
    expect(outputs.length).toBeLessThanOrEqual(3)
    for (const bubble of texts(outputs)) {
      expect(bubble.length).toBeLessThanOrEqual(1000)
      expect(bubble.startsWith(PREFIX) ? bubble.slice(PREFIX.length).trim() : bubble.trim()).not.toBe("")
      expect(LONE_SURROGATE.test(bubble)).toBe(false)
    }
    expect(texts(outputs)[0] ?? PREFIX).toMatch(/^\[OpenClaw\] /)
  })

  it.prop("small limits keep every bubble within the limit", [anyText, fc.integer({ min: 30, max: 200 })], ([text, limit]) => {
    for (const bubble of texts(formatSkillResponse(text, { maxTextLength: limit }).template.outputs)) {
      expect(bubble.length).toBeLessThanOrEqual(limit)
      expect(bubble.startsWith(PREFIX) ? bubble.slice(PREFIX.length).trim() : bubble.trim()).not.toBe("")
    }
  })

  it.prop("without truncation no visible character is lost", [fc.string({ maxLength: 2500 })], ([text]) => {
    const clean = stripMarkdown(text)
    const joined = texts(formatSkillResponse(text).template.outputs).join("")
    if (!joined.endsWith(MORE_MARKER) && clean.trim() !== "" && !clean.trim().startsWith("[OpenClaw]")) {
      expect(joined.replace(/\s/g, "")).toBe((PREFIX + clean).replace(/\s/g, ""))
    }
  })
})
