import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { describe, expect, it } from "vitest"

/**
 * The dependency rule (design/architecture.md §2): the domain and the ports import nothing but
 * `effect` and each other; only main.ts knows every adapter. Any import specifier in a file is
 * checked, including `import type` and dynamic `import()`.
 */
const root = join(import.meta.dirname, "..", "..")
const tsFiles = (dir: string): Array<string> =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f))

const specifiers = (file: string): Array<string> => {
  const text = readFileSync(join(root, file), "utf8")
  const found = [
    ...text.matchAll(/\bfrom\s+["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm),
    ...text.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)
  ]
  return found.map((m) => m[1]!)
}

const isRelative = (s: string) => s.startsWith(".")
const resolvesInto = (file: string, spec: string, folder: string) =>
  isRelative(spec) && relative(root, join(root, file, "..", spec)).startsWith(folder)

const innerRing = (file: string) => (spec: string): boolean => {
  if (isRelative(spec)) return resolvesInto(file, spec, "src/domain") || resolvesInto(file, spec, "src/ports")
  return spec === "effect" || spec.startsWith("effect/")
}

describe.each(["src/domain", "src/ports"])("%s imports only effect and the inner ring", (ring) => {
  const files = tsFiles(ring)
  it("has files to check", () => expect(files.length).toBeGreaterThan(0))
  it.each(files)("%s", (file) => {
    expect(specifiers(file).filter((s) => !innerRing(file)(s))).toEqual([])
  })
})

describe("adapters never import main.ts and platforms never import each other", () => {
  const platforms = ["telegram", "discord", "slack", "line", "whatsapp", "wechat", "kakao", "feishu"]
  it.each(tsFiles("src/adapters"))("%s", (file) => {
    const own = platforms.find((p) => file.startsWith(`src/adapters/${p}/`))
    const offending = specifiers(file).filter(
      (s) =>
        resolvesInto(file, s, "src/main") ||
        platforms.some((p) => p !== own && resolvesInto(file, s, `src/adapters/${p}/`))
    )
    expect(offending).toEqual([])
  })
})

describe("the rule itself catches violations", () => {
  it("flags an SDK, node: and an adapter import from the domain", () => {
    const check = innerRing("src/domain/command/X.ts")
    expect(check("grammy")).toBe(false)
    expect(check("node:crypto")).toBe(false)
    expect(check("@effect/platform")).toBe(false)
    expect(check("../../adapters/kakao/KakaoWebhook.js")).toBe(false)
    expect(check("effect")).toBe(true)
    expect(check("../model/Reply.js")).toBe(true)
    expect(check("../../ports/Backend.js")).toBe(true)
  })
})
