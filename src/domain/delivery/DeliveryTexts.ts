/**
 * What the delivery worker tells users. The reference's texts (spec backend-and-delivery §6.1) are
 * kept verbatim where they exist; the rest are new (progress, failures the reference reported as
 * successes or not at all, interrupted sends).
 */
export const DeliveryTexts = {
  // Reference texts.
  approvalTrackingNeedsToken: "⚠️ Approval tracking requires OPENCLAW_CONNECTOR_ADMIN_TOKEN.",
  approvalEnded: (id: string, status: "rejected" | "expired") => `❌ Approval ${id} ${status}.`,
  approvalTimedOut: (id: string) => `⚠️ Approval ${id} timed out waiting for execution.`,
  jobTimedOut: (id: string) => `⚠️ Job ${id} timed out waiting for results.`,
  noImages: (id: string) => `✅ Job ${id} finished (No images).`,
  imageTooLarge: (filename: string) => `⚠️ Image ${filename} skipped (too large).`,
  imageFailed: (filename: string) => `⚠️ Failed to send image: ${filename}`,

  // New: the reference delivered failed jobs as "finished" and had none of these.
  jobFailed: (id: string, message: string) => `❌ Job ${id} failed: ${message}`,
  jobNotFollowable: (id: string) => `❌ Job ${id} cannot be followed (invalid job id).`,
  approvalNotFollowable: (id: string) => `❌ Approval ${id} cannot be followed (invalid approval id).`,
  imageLink: (filename: string, url: string) => `🖼️ ${filename}: ${url}`,
  possiblyDelivered: (filenames: ReadonlyArray<string>) =>
    `⚠️ Sending ${filenames.join(", ")} was interrupted; it may not have arrived. Not resent, to avoid a duplicate.`,
  givenUp: (kind: "job" | "approval", id: string) =>
    `⚠️ Results of ${kind === "job" ? "job" : "approval"} ${id} could not be delivered in time.`,

  // Progress: one status message edited in place, or one notice where edits are impossible.
  queued: (id: string, position: number | undefined) =>
    position === undefined ? `⏳ Job ${id}: queued` : `⏳ Job ${id}: queued #${position}`,
  started: (id: string) => `⏳ Job ${id}: started`,
  node: (id: string, label: string) => `⏳ Job ${id}: ${label}`,
  progress: (id: string, label: string, percent: number) => `⏳ Job ${id}: ${label} ${percent}%`,
  working: (id: string) => `⏳ Job ${id} is running…`,
  done: (id: string) => `✅ Job ${id}: done`,
  failed: (id: string) => `❌ Job ${id}: failed`,
  timedOut: (id: string) => `⚠️ Job ${id}: timed out`
} as const
