import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Config, Effect } from "effect"
import { loadConnectorConfig } from "../../../src/adapters/config/ConnectorConfig.js"
import { dotenvConfigLayer, dotenvConfigProvider, parseDotenv } from "../../../src/adapters/config/Dotenv.js"

describe("parseDotenv", () => {
  it("reads KEY=VALUE lines, comments, export, quotes and escapes", () => {
    const text = [
      "# a comment",
      "",
      "PLAIN=value",
      "SPACED = spaced value   # trailing comment",
      "HASH=abc#def",
      "export EXPORTED=yes",
      "SINGLE='literal \\n $x # not a comment'",
      'DOUBLE="line1\\nline2 \\"q\\" \\\\"  # comment',
      "EMPTY=",
      'MULTI="first',
      'second"',
      "  INDENTED=ok",
      "PLAIN=later wins"
    ].join("\r\n")
    expect(parseDotenv(text)).toEqual(new Map([
      ["PLAIN", "later wins"],
      ["SPACED", "spaced value"],
      ["HASH", "abc#def"],
      ["EXPORTED", "yes"],
      ["SINGLE", "literal \\n $x # not a comment"],
      ["DOUBLE", 'line1\nline2 "q" \\'],
      ["EMPTY", ""],
      ["MULTI", "first\nsecond"],
      ["INDENTED", "ok"]
    ]))
  })

  it.each([
    ["a line without =", "A=1\njust words\n", 2],
    ["an unterminated quote", "A=1\nB=\"open\n", 2],
    ["text after a closing quote", "A='x' y\n", 1],
    ["a bad key", "1A=x\n", 1]
  ])("reports %s by line number", (_, text, line) => {
    expect(parseDotenv(text)).toEqual({ badLine: line })
  })
})

describe("dotenvConfigProvider", () => {
  const dirs: Array<string> = []
  const dirWith = (content?: string): string => {
    const dir = mkdtempSync(path.join(tmpdir(), "oc-dotenv-"))
    dirs.push(dir)
    if (content !== undefined) writeFileSync(path.join(dir, ".env"), content)
    return dir
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  const read = (name: string, cwd: string, env: Record<string, string>) =>
    Effect.flatMap(dotenvConfigProvider(cwd, env), (provider) =>
      Effect.withConfigProvider(Config.option(Config.string(name)), provider))

  it.effect("lets the real environment win over .env, and .env fill the gaps", () =>
    Effect.gen(function*() {
      const cwd = dirWith("OPENCLAW_CONNECTOR_URL=http://from-file:1\nOPENCLAW_CONNECTOR_ADMIN_USERS=file-admin\n")
      const env = { OPENCLAW_CONNECTOR_URL: "http://from-env:2" }
      const provider = yield* dotenvConfigProvider(cwd, env)
      const { config } = yield* Effect.withConfigProvider(loadConnectorConfig, provider)
      expect(config.backend.url).toBe("http://from-env:2")
      expect(config.policy.adminUsers).toEqual(["file-admin"])
    }))

  it.effect("keeps an empty real variable rather than the file's value", () =>
    Effect.gen(function*() {
      const cwd = dirWith("OPENCLAW_CONNECTOR_TELEGRAM_TOKEN=from-file\n")
      const value = yield* read("OPENCLAW_CONNECTOR_TELEGRAM_TOKEN", cwd, { OPENCLAW_CONNECTOR_TELEGRAM_TOKEN: "" })
      expect(value._tag === "Some" && value.value).toBe("")
    }))

  it.effect("works without a .env file", () =>
    Effect.gen(function*() {
      const cwd = dirWith()
      expect(yield* read("X_ONLY_ENV", cwd, { X_ONLY_ENV: "1" })).toMatchObject({ _tag: "Some", value: "1" })
      expect(yield* read("X_MISSING", cwd, {})).toMatchObject({ _tag: "None" })
    }))

  it.effect("refuses a malformed .env, naming the file and line but not the content", () =>
    Effect.gen(function*() {
      const cwd = dirWith("GOOD=1\nzz-secret-line-9f8e7d\n")
      const error = yield* Effect.flip(dotenvConfigProvider(cwd, {}))
      expect(error.reason).toBe("dotenv")
      expect(error.message).toBe(`${path.join(cwd, ".env")} line 2 is not KEY=VALUE (or a comment).`)
    }))

  it.effect("refuses a .env that exists but cannot be read", () =>
    Effect.gen(function*() {
      const notADirectory = path.join(dirWith(), "file")
      writeFileSync(notADirectory, "")
      const error = yield* Effect.flip(dotenvConfigProvider(notADirectory, {}))
      expect(error.reason).toBe("dotenv")
      expect(error.message).toBe(`${path.join(notADirectory, ".env")} exists but cannot be read.`)
    }))

  it.effect("dotenvConfigLayer installs the provider for what runs on top of it", () =>
    Effect.gen(function*() {
      const cwd = dirWith("OPENCLAW_CONNECTOR_MEDIA_TTL_SEC=900\n")
      const { config } = yield* loadConnectorConfig.pipe(Effect.provide(dotenvConfigLayer(cwd)))
      expect(config.media.ttlSec).toBe(900)
    }))
})
