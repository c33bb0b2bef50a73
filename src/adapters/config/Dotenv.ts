import { readFile } from "node:fs/promises"
import * as path from "node:path"
import { ConfigProvider, Effect, Layer } from "effect"
import { ConfigLoadError } from "./ConfigLoadError.js"

/**
 * `.env` support: the real environment first, then `<cwd>/.env` when present. Real environment
 * variables always win. Syntax: `KEY=VALUE` lines, `#` comments (whole line, or after whitespace
 * in an unquoted value), an optional `export ` prefix, single quotes (literal) and double quotes
 * (`\n`, `\r`, `\t`, `\"`, `\\` escapes); quoted values may span lines. No `${VAR}` expansion.
 * A line that is none of these stops startup (naming the line, never its content).
 */

const KEY = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*/
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" }

/** Parses `.env` text; returns the entries (later lines win) or the 1-based line that is malformed. */
export const parseDotenv = (text: string): Map<string, string> | { readonly badLine: number } => {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  const entries = new Map<string, string>()
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1
    const line = lines[i]!
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue
    const key = KEY.exec(line.trimStart())
    if (key === null) return { badLine: start }
    let rest = line.trimStart().slice(key[0].length)
    const quote = rest[0]
    if (quote !== '"' && quote !== "'") {
      entries.set(key[1]!, rest.replace(/\s+#.*$/, "").trim())
      continue
    }
    // Quoted: scan for the closing quote, continuing onto following lines.
    let value = ""
    let pos = 1
    for (;;) {
      if (pos >= rest.length) {
        if (++i >= lines.length) return { badLine: start }
        value += "\n"
        rest = lines[i]!
        pos = 0
        continue
      }
      const ch = rest[pos]!
      if (ch === quote) break
      if (quote === '"' && ch === "\\" && pos + 1 < rest.length) {
        const next = rest[pos + 1]!
        value += ESCAPES[next] ?? `\\${next}`
        pos += 2
        continue
      }
      value += ch
      pos++
    }
    const tail = rest.slice(pos + 1).trim()
    if (tail !== "" && !tail.startsWith("#")) return { badLine: i + 1 }
    entries.set(key[1]!, value)
  }
  return entries
}

const envProvider = (env: Readonly<Record<string, string | undefined>>): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromMap(
    new Map(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    { pathDelim: "_" }
  )

/**
 * A ConfigProvider over `env` (default: `process.env`) falling back to `<cwd>/.env` when that
 * file exists. Paths are joined with `_`, as `ConfigProvider.fromEnv` does.
 */
export const dotenvConfigProvider = (
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = process.env
): Effect.Effect<ConfigProvider.ConfigProvider, ConfigLoadError> => {
  const file = path.join(cwd, ".env")
  const failure = (message: string) => new ConfigLoadError({ reason: "dotenv", variable: file, message })
  return Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (error) => error
  }).pipe(
    Effect.map((text): string | undefined => text),
    Effect.catchAll((error) =>
      (error as { code?: unknown }).code === "ENOENT"
        ? Effect.succeed(undefined)
        : Effect.fail(failure(`${file} exists but cannot be read.`))
    ),
    Effect.flatMap((text) => {
      if (text === undefined) return Effect.succeed(envProvider(env))
      const parsed = parseDotenv(text)
      if (!(parsed instanceof Map)) {
        return Effect.fail(failure(`${file} line ${parsed.badLine} is not KEY=VALUE (or a comment).`))
      }
      return Effect.succeed(
        envProvider(env).pipe(ConfigProvider.orElse(() => ConfigProvider.fromMap(parsed, { pathDelim: "_" })))
      )
    })
  )
}

/** Sets the ConfigProvider to "environment, then `.env`" for everything built on top of it. */
export const dotenvConfigLayer = (cwd: string = process.cwd()): Layer.Layer<never, ConfigLoadError> =>
  Layer.unwrapEffect(Effect.map(dotenvConfigProvider(cwd), (provider) => Layer.setConfigProvider(provider)))
