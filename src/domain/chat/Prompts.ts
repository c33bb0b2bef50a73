/**
 * The `/chat` prompt texts and reply texts, verbatim from the reference (spec/domain-core.md
 * §8.10). Prompts go to the backend's LLM endpoint only; nothing here is executed.
 */
export type TrustLabel = "TRUSTED" | "UNTRUSTED" | "N/A"

const SYSTEM_PROMPT_TEMPLATE = `You are OpenClaw Assistant, an AI helper for controlling ComfyUI image generation workflows via chat.

**Core Rules:**
1. NEVER execute commands directly. Only suggest command text for the user to run manually.
2. When suggesting \`/run\` commands, wrap them in a code block.
3. When suggesting templates, output JSON in a fenced code block with a filename suggestion.
4. For status queries, summarize queue/job data in a human-readable, concise form.
5. Be helpful, concise, and focused on image generation tasks.

**Available Commands (for reference):**
- \`/run <template_id> [--input key=value ...]\` - Execute a workflow template
- \`/status\` - Check system status
- \`/jobs\` - View the authoritative jobs summary (admin)
- \`/approvals\` - List pending approvals (admin)
- \`/approve <id>\` - Approve a request (admin)

**User Trust Level: {trust_level}**
- If UNTRUSTED: Always add \`--approval\` flag to \`/run\` suggestions.
- If TRUSTED: Suggest \`/run\` without \`--approval\` (user can execute directly).

Respond in the user's language when possible. Keep responses under 500 words.
`

export const systemPrompt = (trust: TrustLabel): string => SYSTEM_PROMPT_TEMPLATE.replace("{trust_level}", trust)

const STATUS_PROMPT_TEMPLATE = `Summarize the following system status in a friendly, human-readable way:

**Status Data:**
{status_data}

Keep it brief (3-5 sentences). Highlight:
- Queue length
- Active jobs
- Any issues or warnings
`

/** The status data is rendered as JSON (the reference pasted a Python repr). */
export const statusPrompt = (statusDataJson: string): string => STATUS_PROMPT_TEMPLATE.replace("{status_data}", () => statusDataJson)

export const runUserPrompt = (request: string, trust: "TRUSTED" | "UNTRUSTED"): string =>
  `User wants to run a generation. Suggest a \`/run\` command.

Request: ${request}
Available templates: txt2img, img2img, upscale (examples)
Trust level: ${trust}

Remember: ${trust === "UNTRUSTED" ? "add --approval flag" : "no --approval needed"}.
Output only the command in a code block.`

export const templateUserPrompt = (request: string): string =>
  `Generate a workflow template JSON for this request:

Request: ${request}

Output:
1. Suggested filename
2. Template JSON in a code block

Keep it minimal.`

export const CHAT_TEXT = {
  trustedOnly: "[Access Denied] /chat is limited to trusted users on this connector.",
  notConfigured: "[Chat Error] LLM not configured. Configure in OpenClaw Settings.",
  usage: "Usage: /chat <message> or /chat run|template|status <request>",
  runUsage: "Usage: /chat run <description of what you want>",
  templateUsage: "Usage: /chat template <description>",
  safeModeFallback: "I can help with general guidance, but commands are restricted for this request.",
  jobsInStatus: "admin-only; use /jobs as an authorized operator"
} as const
