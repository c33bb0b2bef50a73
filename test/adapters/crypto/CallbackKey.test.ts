import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Option, Redacted } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { CallbackKey } from "../../../src/adapters/crypto/CallbackKey.js"
import { CallbackSigner } from "../../../src/ports/CallbackSigner.js"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "callback-key-"))
  dirs.push(dir)
  return dir
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

const signWith = (stateDir: string, secretKey: Option.Option<Redacted.Redacted>) =>
  Effect.runPromise(
    Effect.flatMap(CallbackSigner, (s) => s.sign("message")).pipe(Effect.provide(CallbackKey.layer({ stateDir, secretKey })))
  )

describe("callback signing key", () => {
  it("without a secret key: created once with mode 0600 and reused after a restart", async () => {
    const dir = join(tempDir(), "state")
    const first = await signWith(dir, Option.none())
    const file = join(dir, "callback.key")
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, "utf8").trim()).toMatch(/^[0-9a-f]{64}$/)
    expect(await signWith(dir, Option.none())).toBe(first)
    expect(await signWith(tempDir(), Option.none())).not.toBe(first)
  })

  it("with OPENCLAW_CONNECTOR_SECRET_KEY: derived, identical across state dirs, no key file written", async () => {
    const a = tempDir()
    const secret = Option.some(Redacted.make("a long operator secret"))
    const signed = await signWith(a, secret)
    expect(await signWith(tempDir(), secret)).toBe(signed)
    expect(await signWith(a, Option.some(Redacted.make("another secret")))).not.toBe(signed)
    expect(() => statSync(join(a, "callback.key"))).toThrow()
  })

  it("a corrupted key file stops startup instead of silently minting a new key", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "callback.key"), "not a key")
    await expect(signWith(dir, Option.none())).rejects.toThrow(/malformed/)
  })
})
