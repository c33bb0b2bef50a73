import { describe, expect, it } from "@effect/vitest"
import { mkdir, readFile, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Cause, Effect, Exit, FastCheck as fc, Option, Redacted } from "effect"
import {
  deriveVaultKey,
  loadVaultKey,
  makeSecretVault,
  randomVaultKey,
  type SealedSecret,
  VAULT_KEY_FILE
} from "../../../src/adapters/installations/SecretVault.js"
import { tempDir } from "../storage/tempSqlite.js"

const scope = { tenantId: "default", ref: "connector_installation:slack:T1:bot_token" }

const flipBit = (base64: string, bit: number): string => {
  const bytes = Buffer.from(base64, "base64")
  const i = Math.floor(bit / 8) % bytes.length
  bytes[i] = bytes[i]! ^ (1 << (bit % 8))
  return bytes.toString("base64")
}

describe("SecretVault", () => {
  const vault = makeSecretVault(randomVaultKey())

  it("round-trips a value and never stores it in clear", () => {
    const sealed = vault.seal(scope, "xoxb-secret")
    expect(JSON.stringify(sealed)).not.toContain("xoxb-secret")
    expect(Buffer.from(sealed.nonce, "base64")).toHaveLength(12)
    expect(vault.open(scope, sealed)).toEqual(Option.some("xoxb-secret"))
  })

  it("uses a fresh nonce per value", () => {
    const a = vault.seal(scope, "xoxb-abc")
    const b = vault.seal(scope, "xoxb-abc")
    expect(a.nonce).not.toBe(b.nonce)
    expect(a.ciphertext).not.toBe(b.ciphertext)
  })

  it("binds a value to its ref and tenant (AAD): copied elsewhere it does not open", () => {
    const sealed = vault.seal(scope, "xoxb-abc")
    expect(vault.open({ ...scope, ref: "connector_installation:slack:T2:bot_token" }, sealed)).toEqual(Option.none())
    expect(vault.open({ ...scope, tenantId: "acme" }, sealed)).toEqual(Option.none())
  })

  it("does not open under another key (wrong key -> missing)", () => {
    const sealed = vault.seal(scope, "xoxb-abc")
    expect(makeSecretVault(randomVaultKey()).open(scope, sealed)).toEqual(Option.none())
  })

  it("refuses malformed stored values without throwing", () => {
    const sealed = vault.seal(scope, "xoxb-abc")
    const broken: Array<SealedSecret> = [
      { ...sealed, nonce: "" },
      { ...sealed, ciphertext: "" },
      { ...sealed, nonce: `${sealed.nonce}AA==` },
      { ...sealed, ciphertext: `${sealed.ciphertext} ` },
      { ...sealed, ciphertext: "!!!not base64!!!" },
      { nonce: sealed.nonce, ciphertext: Buffer.alloc(8).toString("base64") }
    ]
    for (const b of broken) expect(vault.open(scope, b)).toEqual(Option.none())
  })

  it.prop("any bit flipped in a stored nonce or ciphertext never yields a value", [
    fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim() !== ""),
    fc.boolean(),
    fc.nat()
  ], ([value, inNonce, bit]) => {
    const sealed = vault.seal(scope, value)
    const tampered = inNonce
      ? { ...sealed, nonce: flipBit(sealed.nonce, bit) }
      : { ...sealed, ciphertext: flipBit(sealed.ciphertext, bit) }
    expect(vault.open(scope, tampered)).toEqual(Option.none())
    expect(vault.open(scope, sealed)).toEqual(Option.some(value))
  })

  it.prop("truncated or extended ciphertexts never yield a value", [
    fc.string({ minLength: 1, maxLength: 100 }),
    fc.integer({ min: -40, max: 40 }).filter((n) => n !== 0)
  ], ([value, delta]) => {
    const sealed = vault.seal(scope, value)
    const bytes = Buffer.from(sealed.ciphertext, "base64")
    const changed = delta < 0
      ? bytes.subarray(0, Math.max(0, bytes.length + delta))
      : Buffer.concat([bytes, Buffer.alloc(delta, 7)])
    expect(vault.open(scope, { ...sealed, ciphertext: changed.toString("base64") })).toEqual(Option.none())
  })
})

describe("vault key", () => {
  it("derives the same key from the same secret (HKDF, info openclaw-vault-v1), another from another", () => {
    expect(Buffer.from(deriveVaultKey("s3cret")).toString("hex")).toBe(Buffer.from(deriveVaultKey("s3cret")).toString("hex"))
    expect(Buffer.from(deriveVaultKey("s3cret")).equals(Buffer.from(deriveVaultKey("other")))).toBe(false)
    expect(deriveVaultKey("s3cret")).toHaveLength(32)
  })

  it.scoped("creates <stateDir>/vault.key once with mode 0600 and reuses it", () =>
    Effect.gen(function*() {
      const dir = join(yield* tempDir, "state")
      const first = yield* loadVaultKey({ stateDir: dir, secretKey: Option.none() })
      const file = join(dir, VAULT_KEY_FILE)
      const info = yield* Effect.promise(() => stat(file))
      expect(info.mode & 0o777).toBe(0o600)
      const text = yield* Effect.promise(() => readFile(file, "utf8"))
      expect(text.trim()).toMatch(/^[0-9a-f]{64}$/)
      const second = yield* loadVaultKey({ stateDir: dir, secretKey: Option.none() })
      expect(Buffer.from(Redacted.value(second)).equals(Buffer.from(Redacted.value(first)))).toBe(true)
      const sealed = makeSecretVault(first).seal(scope, "xoxb-abc")
      expect(makeSecretVault(second).open(scope, sealed)).toEqual(Option.some("xoxb-abc"))
    }))

  it.scoped("with a secret key, derives the key and creates no key file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const key = yield* loadVaultKey({ stateDir: dir, secretKey: Option.some(Redacted.make("s3cret")) })
      expect(Buffer.from(Redacted.value(key)).equals(Buffer.from(deriveVaultKey("s3cret")))).toBe(true)
      const exists = yield* Effect.promise(() => stat(join(dir, VAULT_KEY_FILE)).then(() => true, () => false))
      expect(exists).toBe(false)
    }))

  it.scoped("a malformed key file fails (never replaced by a new key)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => mkdir(dir, { recursive: true }))
      yield* Effect.promise(() => writeFile(join(dir, VAULT_KEY_FILE), "not a key\n"))
      const exit = yield* Effect.exit(loadVaultKey({ stateDir: dir, secretKey: Option.none() }))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const failure = Cause.failureOption(exit.cause)
        expect(Option.map(failure, (e) => [e._tag, e.reason])).toEqual(Option.some(["VaultKeyError", "malformed"]))
      }
      expect(yield* Effect.promise(() => readFile(join(dir, VAULT_KEY_FILE), "utf8"))).toBe("not a key\n")
    }))
})
