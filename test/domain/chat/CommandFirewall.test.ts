import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { renderCommand, validateSuggestion } from "../../../src/domain/chat/CommandFirewall.js"
import { policyKV } from "../../../src/domain/chat/SemanticGuard.js"

const contract = (raw: string) => {
  const n = validateSuggestion(raw)
  return { isSafe: n.isSafe, command: n.command, reason: n.reason, code: n.code, severity: n.severity, action: n.action }
}

describe("validateSuggestion", () => {
  it("accepts allowlisted commands with the allow contract", () => {
    expect(contract("/run valid")).toEqual({
      isSafe: true, command: "/run", reason: "valid", code: "firewall_allow", severity: "info", action: "allow"
    })
    expect(validateSuggestion("/status").isSafe).toBe(true)
    expect(validateSuggestion("  /HELP  ").command).toBe("/help")
    expect(validateSuggestion("/jobs").isSafe).toBe(true)
  })

  it("refuses other commands", () => {
    expect(contract("/evil command")).toEqual({
      isSafe: false, command: "/evil", reason: "command_not_allowed: /evil", code: "firewall_command_not_allowed", severity: "high", action: "deny"
    })
    expect(contract("/approve apr_1").reason).toBe("command_not_allowed: /approve")
    expect(contract("[LLM Error] boom").reason).toBe("command_not_allowed: [llm")
  })

  it("refuses shell metacharacters, reporting the first in a fixed order", () => {
    expect(contract("/run img; rm -rf /")).toEqual({
      isSafe: false, command: "error", reason: "unsafe_pattern_detected: ;", code: "firewall_unsafe_pattern", severity: "high", action: "deny"
    })
    expect(contract("/run $(whoami)").reason).toBe("unsafe_pattern_detected: \\$\\(")
    expect(contract("/run a | b").reason).toBe("unsafe_pattern_detected: \\|")
    expect(contract("/run `id`").reason).toBe("unsafe_pattern_detected: `")
    expect(contract("/run a | b; `c` $(d)").reason).toBe("unsafe_pattern_detected: ;")
    expect(contract("/run a | b `c` $(d)").reason).toBe("unsafe_pattern_detected: `")
    expect(contract("/run a | $(d)").reason).toBe("unsafe_pattern_detected: \\$\\(")
    expect(contract("/run \"a;b\"").code).toBe("firewall_unsafe_pattern")
  })

  it("reports parse errors and empty commands", () => {
    expect(contract("/run \"oops")).toMatchObject({
      command: "error", reason: "parse_error: No closing quotation", code: "firewall_parse_error", severity: "medium", action: "deny"
    })
    expect(contract("")).toMatchObject({ command: "", reason: "empty_command", code: "firewall_empty_command", severity: "medium" })
    expect(contract("# just a comment").reason).toBe("empty_command")
  })

  it("parses flags and positional words like the reference", () => {
    const n = validateSuggestion("/run my-template prompt=\"foo bar\" --approval size=1024")
    expect(n.isSafe).toBe(true)
    expect(n.args).toEqual(["my-template", "--approval"])
    expect(Object.fromEntries(n.flags)).toEqual({ prompt: "foo bar", size: "1024" })
    const m = validateSuggestion("/run t --seed=5 -a k=1 k=2 e=mc=2 a= x#b c")
    expect(m.args).toEqual(["t", "--seed=5", "-a", "x"])
    expect(Object.fromEntries(m.flags)).toEqual({ k: "2", e: "mc=2", a: "" })
  })

  it("refuses invalid keys and overlong values", () => {
    expect(contract("/run t -k=v")).toMatchObject({ reason: "invalid_key: -k", code: "firewall_invalid_key", severity: "medium" })
    expect(contract("/run t 1x=v").reason).toBe("invalid_key: 1x")
    expect(contract("/run t =v").reason).toBe("invalid_key: ")
    expect(contract("/run t \"k\n\"=v").reason).toBe("invalid_key: k\n")
    expect(contract(`/run t k=${"v".repeat(1001)}`)).toMatchObject({ reason: "value_too_long: k", code: "firewall_value_too_long" })
    expect(contract(`/run t k=${"é".repeat(1000)}`).isSafe).toBe(true)
    expect(policyKV(validateSuggestion("/run t -k=v"))).toBe("[code=firewall_invalid_key, severity=medium, action=deny, reason=invalid_key: -k]")
  })
})

describe("renderCommand", () => {
  it("keeps the template id first and sorts flags after the positional words", () => {
    expect(renderCommand(validateSuggestion("/run my-template prompt=\"foo bar\" --approval size=1024"))).toBe(
      "/run my-template --approval prompt=\"foo bar\" size=1024"
    )
  })

  it("quotes whatever would not read back as the same word", () => {
    expect(renderCommand(validateSuggestion("/run \"my tpl\" k= q=\"say \\\"hi\\\"\" \"a#b\" t=\"x\ty\" s=She's"))).toBe(
      "/run \"my tpl\" \"a#b\" k=\"\" q=\"say \\\"hi\\\"\" s=She's t=\"x\ty\""
    )
  })

  const word = fc.string({ unit: "binary", maxLength: 12 }).filter((s) => !/[;`|]|\$\(/.test(s))
  const safeCommand = fc.record({
    command: fc.constantFrom("/run", "/status", "/help", "/jobs"),
    args: fc.array(word.filter((s) => !s.includes("=") || s.startsWith("--")), { maxLength: 4 }),
    flags: fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/), word, { maxKeys: 4 })
  })

  it.prop("the rendered text validates back to the same command", [safeCommand], ([c]) => {
    const flags = new Map(Object.entries(c.flags))
    const again = validateSuggestion(renderCommand({ command: c.command, args: c.args, flags }))
    expect(again.isSafe).toBe(true)
    expect(again.command).toBe(c.command)
    expect(again.args).toEqual(c.args)
    expect(Object.fromEntries(again.flags)).toEqual(Object.fromEntries(flags))
  })
})
