import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startWebhookHarness, type WebhookHarness } from "./webhookHarness.js"
import type { DriverRequest, WebhookDriver } from "./WebhookDriver.js"

/** Polls `condition` until it holds (bounded); a condition never met fails the test with `what`. */
export const eventually = async (condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/**
 * The contract every webhook adapter keeps (issue 3, "Shared"): credentials are required and
 * checked, stale and replayed deliveries never run twice, oversized and undecodable bodies are
 * refused with a 4xx, and the server keeps serving afterwards. `/status` is the probe command:
 * it asks the backend's `/openclaw/health` exactly once per run.
 */
export const webhookContract = (driver: WebhookDriver) =>
  describe(`webhook contract: ${driver.platform}`, () => {
    let h: WebhookHarness
    let n = 0
    const next = () => ++n
    const healthCalls = () => h.backend.callsTo("GET", "/openclaw/health").length

    /** Sends a delivery that must run `/status` once, and waits until its reply went out. */
    const runsOnce = async (request: DriverRequest) => {
      const [health, replies] = [healthCalls(), h.platformCalls.length]
      const res = await h.send(request)
      expect(res.status).toBe(driver.statuses.ok)
      if (driver.repliesOutOfBand) await eventually(() => h.platformCalls.length > replies, "the platform reply")
      await eventually(() => healthCalls() === health + 1, "the backend call")
      return res
    }

    /** A refused delivery runs nothing: a valid one sent after it is the only backend call. */
    const refused = async (request: DriverRequest, status: number | undefined) => {
      const health = healthCalls()
      const res = await h.send(request)
      expect(res.status).toBe(status)
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      await runsOnce(driver.message(next(), "/status"))
      expect(healthCalls()).toBe(health + 1)
    }

    beforeAll(async () => {
      h = await startWebhookHarness(driver)
    })
    afterAll(async () => {
      await h?.close()
    })

    it("a valid delivery is acknowledged and runs its command once", async () => {
      await runsOnce(driver.message(next(), "/status"))
    })

    it.runIf(driver.withoutCredential !== undefined)("a delivery without its credential is refused and runs nothing", async () => {
      await refused(driver.withoutCredential!(driver.message(next(), "/status")), driver.statuses.missingCredential)
    })

    it.runIf(driver.withWrongCredential !== undefined)("a delivery with a wrong credential is refused and runs nothing", async () => {
      await refused(driver.withWrongCredential!(driver.message(next(), "/status")), driver.statuses.wrongCredential)
    })

    it.runIf(driver.stale !== undefined)("a stale delivery runs nothing", async () => {
      const health = healthCalls()
      const res = await h.send(driver.stale!(next(), "/status"))
      expect(res.status).toBe(driver.statuses.stale)
      await runsOnce(driver.message(next(), "/status"))
      expect(healthCalls()).toBe(health + 1)
    })

    it("a replayed delivery is acknowledged and the backend is called once", async () => {
      const request = driver.message(next(), "/status")
      const health = healthCalls()
      await runsOnce(request)
      const again = await h.send(request)
      expect(again.status).toBe(driver.statuses.duplicate)
      await runsOnce(driver.message(next(), "/status"))
      expect(healthCalls()).toBe(health + 2)
    })

    it("an oversized body gets 413 before any handler runs", async () => {
      const request = driver.message(next(), "/status")
      const huge = "x".repeat(1024 * 1024 + 1)
      const health = healthCalls()
      const res = await h.send({ ...request, body: huge })
      expect(res.status).toBe(413)
      expect(healthCalls()).toBe(health)
    })

    it("an undecodable body is answered with a 4xx and runs nothing", async () => {
      await refused(driver.undecodable(next()), driver.statuses.undecodable)
    })

    it("after all of that, valid deliveries are still served", async () => {
      await runsOnce(driver.message(next(), "/status"))
      await runsOnce(driver.message(next(), "/status"))
    })
  })
