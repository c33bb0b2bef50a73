/**
 * The core's answer to one message, independent of any platform. Adapters render it:
 * text bubbles, and buttons as quick replies, inline keyboards, Block Kit or cards.
 */
export type ButtonAction = "approval.approve" | "approval.reject"

export interface Button {
  readonly label: string
  /**
   * The chat command a press stands for (`/approve apr_1`). Platforms whose press is simply a
   * message (KakaoTalk quick replies) send this text; platforms with callbacks carry it inside a
   * signed, expiring callback envelope, never as raw text.
   */
  readonly command: string
  readonly actionType: ButtonAction
  readonly approvalId: string
  readonly style: "primary" | "danger"
}

export interface Reply {
  readonly text: string
  readonly buttons: ReadonlyArray<Button>
}

export const textReply = (text: string): Reply => ({ text, buttons: [] })
