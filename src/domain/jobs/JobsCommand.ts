// PLACEHOLDER (replaced by the jobs work in progress): `/jobs`, `jobs`, `queue` after authorization
// and the admin-token guard. Renders the strict v1 jobs contract or the exact fallback texts.
import { Effect } from "effect"
import type { CommandRequest } from "../model/Request.js"
import { type Reply, textReply } from "../model/Reply.js"
import type { Backend } from "../../ports/Backend.js"

export const jobsCommand = (
  _request: CommandRequest,
  _args: ReadonlyArray<string>
): Effect.Effect<Reply, never, Backend> => Effect.succeed(textReply("[Jobs] Could not fetch the authoritative jobs snapshot."))
