import { describe, expect, it } from "@effect/vitest"
import { COMMAND_TABLE, lookupCommand } from "../../../src/domain/command/CommandTable.js"
import { addressedBot, normaliseWord, parseCommand, stripText } from "../../../src/domain/command/Parse.js"

describe("command table", () => {
  it("aliases are unique; canonical aliases come first and start with /", () => {
    const aliases = COMMAND_TABLE.flatMap((e) => e.aliases)
    expect(new Set(aliases).size).toBe(aliases.length)
    for (const e of COMMAND_TABLE) expect(e.aliases[0]).toBe(e.canonical)
    for (const e of COMMAND_TABLE) expect(e.canonical.startsWith("/")).toBe(true)
    expect(lookupCommand("/stop")?.canonical).toBe("/interrupt")
    expect(lookupCommand("queue")?.canonical).toBe("/jobs")
    expect(lookupCommand("stop")).toBeUndefined()
  })
})

describe("normalisation", () => {
  it("mention promotion happens before the Telegram suffix strip", () => {
    expect(normaliseWord("telegram", ["@bot", "/Help@Bot", "x"])).toEqual({ word: "/help", args: ["x"] })
    expect(normaliseWord("discord", ["@bot", "/help@bot"])).toEqual({ word: "/help@bot", args: [] })
    expect(normaliseWord("TELEGRAM", ["/run@bot", "T"])).toEqual({ word: "/run", args: ["T"] })
    expect(normaliseWord("telegram", ["run@bot"])).toEqual({ word: "run@bot", args: [] })
  })

  it("stripText trims Python's whitespace set", () => {
    expect(stripText("\u001c\u0085 /help \u3000\u00a0")).toBe("/help")
    expect(stripText("\ufeff/help")).toBe("\ufeff/help")
  })

  it("parseCommand outcomes", () => {
    expect(parseCommand("telegram", "x".repeat(11), 10)).toEqual({ _tag: "TooLong", length: 11 })
    expect(parseCommand("telegram", "a \"b", 100)).toEqual({ _tag: "Unbalanced", failure: "no-closing-quotation" })
    expect(parseCommand("telegram", "", 100)).toEqual({ _tag: "Empty" })
    expect(parseCommand("telegram", "Nope x", 100)).toEqual({ _tag: "Unknown", word: "nope" })
    expect(parseCommand("telegram", "RUN T a=B", 100)).toMatchObject({ _tag: "Command", word: "run", args: ["T", "a=B"] })
  })
})

describe("addressedBot (for adapters)", () => {
  it.each([
    ["/help@OtherBot", "otherbot"],
    ["@me /status@me now", "me"],
    ["/help", undefined],
    ["hello @bot", undefined],
    ["  /run@x tpl", "x"]
  ])("%j -> %s", (text, bot) => expect(addressedBot(text)).toBe(bot))
})
