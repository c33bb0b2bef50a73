import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type FakeBackend, type RecordedCall, startFakeBackend } from "../support/FakeBackend.js"
import { postRaw, type SkillAnswer, type SkillRequestOptions, sendSkill as postSkill, skillRequest } from "./support/KakaoClient.js"
import { freePort, type ServiceProcess, startService } from "./support/ServiceProcess.js"

/**
 * The built service (`node dist/main.js`) with KakaoTalk enabled, against a fake OpenClaw/ComfyUI
 * backend on 127.0.0.1: what Kakao would receive, and what the backend is asked.
 */
const ADMIN_TOKEN = "e2e-admin-token-value"
let backend: FakeBackend
let service: ServiceProcess
let kakaoUrl: string
let operatorUrl: string

const baseEnv = (backendUrl: string, kakaoPort: number, operatorPort: number) => ({
  OPENCLAW_CONNECTOR_URL: backendUrl,
  OPENCLAW_CONNECTOR_ADMIN_TOKEN: ADMIN_TOKEN,
  OPENCLAW_CONNECTOR_ADMIN_USERS: "admin-1",
  OPENCLAW_CONNECTOR_KAKAO_ENABLED: "true",
  OPENCLAW_CONNECTOR_KAKAO_BIND: "127.0.0.1",
  OPENCLAW_CONNECTOR_KAKAO_PORT: String(kakaoPort),
  OPENCLAW_CONNECTOR_KAKAO_ALLOWED_USERS: "trusted-1",
  OPENCLAW_CONNECTOR_OPERATOR_BIND: "127.0.0.1",
  OPENCLAW_CONNECTOR_OPERATOR_PORT: String(operatorPort)
})

const triggerCalls = () => backend.callsTo("POST", "/openclaw/triggers/fire")

/**
 * Prompt and approval ids the connector announced to a chat in this file. The delivery worker
 * follows each of them on its own schedule (GET /history/<prompt>, GET /openclaw/approvals/<id>),
 * also during later tests and across `backend.reset()`; Kakao cannot push, so nothing reaches the
 * chat, but the backend sees the reads.
 */
const followed = new Set<string>()
const noteIds = (answer: SkillAnswer) => {
  for (const m of answer.text.matchAll(/(?:^|\n)(?:ID|Executed): (\S+)/g)) followed.add(m[1]!)
  return answer
}
const sendSkill = async (url: string, o: SkillRequestOptions) => noteIds(await postSkill(url, o))
const postSkillRaw = async (url: string, body: string) => noteIds(await postRaw(url, body))

/** A read the worker makes while following one of the ids above: not a command reaching the backend. */
const isWorkerFollowUp = (call: RecordedCall): boolean => {
  if (call.method !== "GET") return false
  const id = /^\/(?:api\/)?history\/([^/]+)$/.exec(call.path)?.[1] ?? /^\/openclaw\/approvals\/([^/]+)$/.exec(call.path)?.[1]
  return id !== undefined && followed.has(decodeURIComponent(id))
}
/** Every backend call since the last reset, except the worker's follow-ups of earlier tests' ids. */
const commandCalls = () => backend.calls.filter((call) => !isWorkerFollowUp(call))

beforeAll(async () => {
  backend = await startFakeBackend({
    adminToken: ADMIN_TOKEN,
    templates: [{ id: "portrait", allowed_inputs: ["positive_prompt", "seed", "steps"] }]
  })
  const [kakaoPort, operatorPort] = [await freePort(), await freePort()]
  kakaoUrl = `http://127.0.0.1:${kakaoPort}/kakao/webhook`
  operatorUrl = `http://127.0.0.1:${operatorPort}`
  service = startService(baseEnv(backend.url, kakaoPort, operatorPort))
  await service.waitFor(/Connector ready/)
})

afterAll(async () => {
  await service?.stop()
  await backend?.close()
})

describe("KakaoTalk end to end", () => {
  it("/help answers a SkillResponse v2.0 with the command list", async () => {
    const res = await sendSkill(kakaoUrl, { userId: "stranger-1", utterance: "/help" })
    expect(res.status).toBe(200)
    expect(res.contentType).toBe("application/json; charset=utf-8")
    expect(res.json.version).toBe("2.0")
    expect(res.text.startsWith("[OpenClaw] OpenClaw Connector")).toBe(true)
    expect(res.text).toContain("/run <template> [prompt] [k=v]")
  })

  it("/status reports the backend's health and queue, with the connector's headers", async () => {
    backend.reset()
    const res = await sendSkill(kakaoUrl, { userId: "stranger-2", utterance: "/status" })
    expect(res.text).toBe("[OpenClaw] [Online] System Status\n- Logs: 0\n- Errors: 0\n- Queue: 0")
    const [health] = backend.callsTo("GET", "/openclaw/health")
    expect(health?.headers["user-agent"]).toBe("OpenClaw-Connector/0.1.0")
    expect(health?.headers["x-openclaw-admin-token"]).toBe(ADMIN_TOKEN)
    expect(backend.callsTo("GET", "/api/prompt")).toHaveLength(1)
  })

  it("a trusted /run executes directly: require_approval false, free text on the prompt input", async () => {
    backend.reset()
    const res = await sendSkill(kakaoUrl, { userId: "trusted-1", utterance: '/run portrait "a cat in a hat" steps=20' })
    expect(res.text).toMatch(/^\[OpenClaw\] \[Job Submitted\]\nID: \S+\nTemplate: portrait\nTrace: [0-9a-f-]{36}$/)
    const calls = triggerCalls()
    expect(calls).toHaveLength(1)
    const body = calls[0]!.body as any
    expect(body.template_id).toBe("portrait")
    expect(body.inputs).toEqual({ positive_prompt: "a cat in a hat", steps: "20" })
    expect(body.require_approval).toBe(false)
    expect(body.trace_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it("an untrusted /run never auto-executes: it becomes an approval request", async () => {
    backend.reset()
    const res = await sendSkill(kakaoUrl, { userId: "stranger-3", utterance: "/run portrait a dog" })
    expect(res.text).toMatch(/^\[OpenClaw\] \[Approval Requested\]\nID: apr_[0-9a-f]{12}\nTrace: \S+\nExpires: \S+$/)
    const body = triggerCalls()[0]!.body as any
    expect(body.require_approval).toBe(true)
    expect(body.inputs).toEqual({ positive_prompt: "a dog" })
  })

  it("an admin lists approvals with one-tap quick replies and approves one", async () => {
    backend.reset()
    const pending = await sendSkill(kakaoUrl, { userId: "stranger-4", utterance: "/run portrait a fox" })
    const approvalId = pending.text.match(/ID: (apr_[0-9a-f]{12})/)![1]!
    const list = await sendSkill(kakaoUrl, { userId: "admin-1", utterance: "/approvals" })
    expect(list.text).toContain(`- ${approvalId} [pending] template=portrait`)
    expect(list.quickReplies).toContainEqual({
      label: `Approve ${approvalId.slice(0, 6)}`,
      action: "message",
      messageText: `/approve ${approvalId}`
    })
    const approved = await sendSkill(kakaoUrl, { userId: "admin-1", utterance: `/approve ${approvalId}` })
    expect(approved.text).toMatch(new RegExp(`^\\[OpenClaw\\] \\[Approved\\] ${approvalId}\\nExecuted: \\S+$`))
    const [approveCall] = backend.callsTo("POST", `/openclaw/approvals/${approvalId}/approve`)
    expect(approveCall?.body).toEqual({ auto_execute: true })
    expect(approveCall?.headers["x-openclaw-admin-token"]).toBe(ADMIN_TOKEN)
  })

  it("an admin command from a non-admin is denied and never reaches the backend", async () => {
    backend.reset()
    for (const utterance of ["/approvals", "/approve apr_000000000000", "/stop", "/jobs", "queue", "/trace p1"]) {
      const res = await sendSkill(kakaoUrl, { userId: "stranger-5", utterance })
      expect(res.text).toBe("[OpenClaw] [Access Denied] This command requires Admin privileges.")
    }
    // Only the worker's reads of ids announced earlier may appear; apr_000000000000 and p1 are not among them.
    expect(commandCalls()).toEqual([])
  })

  it("a duplicate delivery of the same request is acknowledged with a valid SkillResponse and runs once", async () => {
    backend.reset()
    const body = JSON.stringify(skillRequest({ userId: "trusted-1", utterance: "/run portrait twice?" }))
    const first = await postSkillRaw(kakaoUrl, body)
    const second = await postSkillRaw(kakaoUrl, body)
    expect(first.text).toContain("[Job Submitted]")
    expect(second.status).toBe(200)
    expect(second.json.version).toBe("2.0")
    expect(second.text).toBe("[OpenClaw] This request was already received.")
    expect(triggerCalls()).toHaveLength(1)
  })

  it("malformed JSON is answered 400, changes nothing, and the next valid request is served", async () => {
    backend.reset()
    const bad = await postRaw(kakaoUrl, '{"userRequest": {"user": ')
    expect(bad.status).toBe(400)
    expect(bad.raw).toBe("Bad JSON")
    const notObject = await postRaw(kakaoUrl, "[1,2,3]")
    expect(notObject.status).toBe(400)
    const ok = await sendSkill(kakaoUrl, { userId: "stranger-6", utterance: "/help" })
    expect(ok.status).toBe(200)
    expect(commandCalls()).toEqual([])
  })

  it("the operator server reports health, readiness and metrics", async () => {
    expect((await fetch(`${operatorUrl}/healthz`)).status).toBe(200)
    const ready = await fetch(`${operatorUrl}/readyz`)
    expect(ready.status).toBe(200)
    const metrics = await (await fetch(`${operatorUrl}/metrics`)).text()
    expect(metrics).toMatch(/openclaw_connector_inbound_events_total\{[^}]*platform="kakao"[^}]*\} [1-9]/)
    expect(metrics).toMatch(/openclaw_connector_commands_total\{[^}]*class="admin"[^}]*\} [1-9]/)
    expect(metrics).toContain("openclaw_connector_backend_call_duration_seconds_bucket")
    expect(metrics).not.toContain(ADMIN_TOKEN)
  })
})

describe("KakaoTalk end to end with the backend down", () => {
  it("/status says Offline with a bounded reason, and /readyz is 503", async () => {
    const [deadPort, kakaoPort, operatorPort] = [await freePort(), await freePort(), await freePort()]
    const down = startService(baseEnv(`http://127.0.0.1:${deadPort}`, kakaoPort, operatorPort))
    try {
      await down.waitFor(/Connector ready/)
      const res = await sendSkill(`http://127.0.0.1:${kakaoPort}/kakao/webhook`, { userId: "u-1", utterance: "/status" })
      expect(res.status).toBe(200)
      expect(res.text).toBe("[OpenClaw] [Offline] System Status\n- Error: backend unreachable")
      const ready = await fetch(`http://127.0.0.1:${operatorPort}/readyz`)
      expect(ready.status).toBe(503)
      expect(down.output()).not.toContain(ADMIN_TOKEN)
    } finally {
      await down.stop()
    }
  })
})
