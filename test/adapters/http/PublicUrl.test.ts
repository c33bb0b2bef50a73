import { describe, expect, it } from "@effect/vitest"
import { isLoopbackHttpUrl, isPublicHttpsUrl } from "../../../src/adapters/http/PublicUrl.js"

describe("isPublicHttpsUrl", () => {
  it.each([
    "https://example.com/img.png",
    "https://localhost/x", // host names are not resolved (as the reference)
    "https://8.8.8.8/x",
    "https://[2606:4700::1111]/x",
    "https://bot-api.kakao.com/callback/abc"
  ])("accepts %s", (url) => expect(isPublicHttpsUrl(url)).toBe(true))

  it.each([
    "http://example.com/img.png",
    "ftp://bad.com",
    "not a url",
    "https://127.0.0.1/x",
    "https://0x7f.1/x", // normalised by the URL parser to 127.0.0.1
    "https://10.0.0.8/x",
    "https://172.16.5.4/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://224.0.0.1/x",
    "https://[::1]/x",
    "https://[::]/x",
    "https://[fd00::1]/x",
    "https://[fe80::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://[2001:db8::1]/x"
  ])("refuses %s", (url) => expect(isPublicHttpsUrl(url)).toBe(false))

  it("loopback http is a separate, test-only rule", () => {
    expect(isLoopbackHttpUrl("http://127.0.0.1:9/cb")).toBe(true)
    expect(isLoopbackHttpUrl("http://localhost:9/cb")).toBe(false)
    expect(isLoopbackHttpUrl("https://127.0.0.1/cb")).toBe(false)
  })
})
