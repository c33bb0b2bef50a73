import { isIPv4, isIPv6 } from "node:net"

/**
 * Whether `url` is an `https` URL whose host is a name or a public IP literal: the rule for URLs
 * the connector hands to a platform (Kakao `simpleImage`) or POSTs to on a sender's say-so (Kakao
 * callbacks). Private, loopback, link-local, shared, documentation, multicast and reserved IP
 * literals are refused, including IPv4-mapped IPv6 forms. Host names are not resolved (as the
 * reference does), so this is a filter against obvious internal targets, not a full SSRF defence.
 */
export const isPublicHttpsUrl = (url: string | URL): boolean => {
  const parsed = parseUrl(url)
  if (parsed === undefined || parsed.protocol !== "https:" || parsed.hostname === "") return false
  const host = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname
  if (isIPv4(host)) return isPublicIPv4(host)
  if (isIPv6(host)) return isPublicIPv6(host)
  return true
}

/** `http://127.0.0.1:<port>/...`: the only plain-http target tests may allow. */
export const isLoopbackHttpUrl = (url: string | URL): boolean => {
  const parsed = parseUrl(url)
  return parsed !== undefined && parsed.protocol === "http:" && parsed.hostname === "127.0.0.1"
}

const parseUrl = (url: string | URL): URL | undefined => {
  if (url instanceof URL) return url
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

// [first address as a 32-bit number, prefix length]
const NON_PUBLIC_V4: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15],
  ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4]
]

const v4ToNumber = (ip: string): number =>
  ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0)

const isPublicIPv4 = (ip: string): boolean => {
  const n = v4ToNumber(ip)
  return !NON_PUBLIC_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits)
    return Math.floor(n / size) === Math.floor(v4ToNumber(base) / size)
  })
}

/** Eight 16-bit groups of an IPv6 literal (handles `::` and a dotted IPv4 tail). */
const v6Groups = (ip: string): ReadonlyArray<number> => {
  let text = ip.toLowerCase()
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/)
  if (dotted) {
    const n = v4ToNumber(dotted[1]!)
    text = text.slice(0, -dotted[1]!.length) + `${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`
  }
  const [head = "", tail] = text.split("::")
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}

const isPublicIPv6 = (ip: string): boolean => {
  const g = v6Groups(ip)
  const first = g[0]!
  const allZeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (allZeroUpTo(8) || (allZeroUpTo(7) && g[7] === 1)) return false // unspecified, loopback
  if (allZeroUpTo(5) && g[5] === 0xffff) return isPublicIPv4(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`)
  if (allZeroUpTo(6)) return false // deprecated IPv4-compatible
  if ((first & 0xfe00) === 0xfc00) return false // unique local fc00::/7
  if ((first & 0xffc0) === 0xfe80 || (first & 0xffc0) === 0xfec0) return false // link-local, site-local
  if ((first & 0xff00) === 0xff00) return false // multicast
  if (first === 0x2001 && g[1] === 0x0db8) return false // documentation
  if (first === 0x0064 && g[1] === 0xff9b) return false // NAT64: may map to internal IPv4
  return true
}
