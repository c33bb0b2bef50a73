/**
 * Exact reply texts of the command pipeline (domain-core §2, §6, §8). The bracketed prefixes are a
 * compatibility contract with the reference; users and scripts match on them.
 */
export const Texts = {
  rateLimited: "[Rate Limited] Too many requests. Please wait a moment.",
  tooLong: (length: number, max: number) => `[Error] Command too long (${length} chars). Max: ${max}.`,
  unbalanced: "[Error] Parsing command arguments failed (unbalanced quotes?).",
  empty: "Empty command.",
  unknown: (word: string) => `Unknown command: ${word}. Type /help for options.`,
  internalError: "[Internal Error] Command failed; see connector logs.",
  /** The store (or another dependency) could not admit the event: nothing ran; try again. */
  unavailable: "[Error] Service temporarily unavailable. Please try again.",

  notInAllowList: "[Access Denied] You are not in the allow-list for this command.",
  adminRequired: "[Access Denied] This command requires Admin privileges.",
  chatTrustedOnly: "[Access Denied] /chat is limited to trusted users on this connector.",
  adminTokenMissing: "[Error] Admin token not configured. Set OPENCLAW_CONNECTOR_ADMIN_TOKEN and restart connector.",
  invalidId: "[Error] Invalid id: ids are 1-128 letters, digits, '.', '_', ':' or '-'.",

  runUsage: "Usage: /run <template_id> [prompt text] [key=value ...] [--approval]",
  runUsageShort: "Usage: /run <template_id> ...",
  stopUsage: "Usage: /stop [job_id ...] (no ids sends a global interrupt)",
  approveUsage: "Usage: /approve <id>",
  rejectUsage: "Usage: /reject <id> [reason]",
  scheduleUsage: "Usage: /schedule <run|toggle> <id>",
  historyUsage: "Usage: /history <prompt_id>",
  traceUsage: "Usage: /trace <prompt_id>",

  /** Appended when a job or approval is queued but its ledger record could not be written. */
  deliveryNotRecorded: "Warning: delivery could not be recorded; results will not be sent here automatically.",

  help: [
    "OpenClaw Connector",
    "/status - Check system health and queue",
    "/run <template> [prompt] [k=v] - Run a generation (trusted users auto-exec; others require approval)",
    "/history <id> - Job details",
    "/chat <message> - Ask the assistant (suggests commands, never runs them)",
    "Admin Only:",
    "/stop [job_id ...] - Cancel jobs by id; no args sends Global Interrupt (Admin)",
    "/jobs - Authoritative jobs summary",
    "/approvals - List pending approvals",
    "/approve <id>, /reject <id>",
    "/schedules, /schedule run <id>",
    "/trace <id> - Execution trace"
  ].join("\n")
} as const
