import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Option, Redacted } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { deriveMediaKey, mediaSigningKey } from "../../../src/adapters/media/MediaKey.js"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "media-key-"))
  dirs.push(dir)
  return dir
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const keyFor = (stateDir: string, adminToken: Option.Option<Redacted.Redacted>) =>
  Effect.runPromise(Effect.map(mediaSigningKey({ stateDir, adminToken }), (k) => Buffer.from(Redacted.value(k)).toString("hex")))

describe("media signing key", () => {
  it("with an admin token: HKDF-derived (not the token's bytes), the same in every state dir, no key file", async () => {
    const a = tempDir()
    const token = Option.some(Redacted.make("admin-token-value"))
    const key = await keyFor(a, token)
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    expect(key).not.toContain(Buffer.from("admin-token-value").toString("hex"))
    expect(await keyFor(tempDir(), token)).toBe(key)
    expect(await keyFor(a, Option.some(Redacted.make("another token")))).not.toBe(key)
    expect(Buffer.from(deriveMediaKey("admin-token-value")).toString("hex")).toBe(key)
    expect(() => statSync(join(a, "media.key"))).toThrow()
  })

  it("without a token: a random key created once in <stateDir>/media.key (0600), reused after a restart", async () => {
    const dir = join(tempDir(), "state")
    const first = await keyFor(dir, Option.none())
    const file = join(dir, "media.key")
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, "utf8").trim()).toBe(first)
    expect(await keyFor(dir, Option.none())).toBe(first)
    expect(await keyFor(tempDir(), Option.none())).not.toBe(first)
  })

  it("a malformed key file stops startup instead of minting a new key", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "media.key"), "not a key")
    await expect(keyFor(dir, Option.none())).rejects.toThrow(/malformed/)
    expect(readFileSync(join(dir, "media.key"), "utf8")).toBe("not a key")
  })
})
