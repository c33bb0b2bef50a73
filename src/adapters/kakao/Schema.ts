import { Either, ParseResult, Schema } from "effect"
import { jsonBodyProblemText, parseJsonObject } from "../http/JsonBody.js"

/**
 * The part of a Kakao i Open Builder skill request the connector reads. Everything else in the
 * payload (bot, intent, action, params, block, properties) is ignored; the fields read must have
 * the right types, or the request is refused with a 400 and nothing runs.
 */

/** The botUserKey: compared exactly, so only refused when blank or absurdly long. */
const UserId = Schema.String.pipe(
  Schema.filter((id) => id.trim() !== "" && id.length <= 256, { message: () => "a non-blank id of at most 256 characters" })
)

export const SkillRequest = Schema.Struct({
  userRequest: Schema.Struct({
    user: Schema.Struct({ id: UserId }),
    utterance: Schema.String,
    /** Present when callbacks are enabled for the block: single-use, valid for about a minute. */
    callbackUrl: Schema.optional(Schema.NullOr(Schema.String))
  })
})
export type SkillRequest = typeof SkillRequest.Type

/** Why a request body was refused; `field` names the first offending path for `invalid-field`. */
export class MalformedSkillRequest extends Schema.TaggedError<MalformedSkillRequest>()("MalformedSkillRequest", {
  reason: Schema.Literal("invalid-utf8", "bad-json", "not-an-object", "invalid-field"),
  field: Schema.optional(Schema.String)
}) {}

/** The short plain-text body of the 400 answer. */
export const malformedText = (error: MalformedSkillRequest): string => {
  switch (error.reason) {
    case "bad-json":
    case "invalid-utf8":
    case "not-an-object":
      return jsonBodyProblemText(error.reason)
    case "invalid-field":
      return `Bad Request: missing or invalid ${error.field ?? "field"}`
  }
}

const decodeFields = Schema.decodeUnknownEither(SkillRequest)

/** Raw bytes -> SkillRequest: valid UTF-8, then JSON, then a JSON object, then the fields. */
export const decodeSkillRequest = (body: Uint8Array): Either.Either<SkillRequest, MalformedSkillRequest> => {
  const parsed = parseJsonObject(body)
  if (Either.isLeft(parsed)) return Either.left(new MalformedSkillRequest({ reason: parsed.left }))
  const json = parsed.right
  return Either.mapLeft(decodeFields(json, { errors: "first" }), (error) => {
    const path = firstPath(error.issue)
    return new MalformedSkillRequest({ reason: "invalid-field", field: path.length === 0 ? "userRequest" : path.join(".") })
  })
}

/**
 * The path of the first issue. Deliberately not ParseResult's formatters: their messages render
 * the offending value, which recurses without bound on deeply nested input (a stack overflow).
 */
const firstPath = (issue: ParseResult.ParseIssue): Array<string> => {
  switch (issue._tag) {
    case "Pointer":
      return [...(Array.isArray(issue.path) ? issue.path : [issue.path]).map(String), ...firstPath(issue.issue)]
    case "Composite":
      return firstPath(Array.isArray(issue.issues) ? issue.issues[0]! : issue.issues as ParseResult.ParseIssue)
    case "Refinement":
    case "Transformation":
      return firstPath(issue.issue)
    default:
      return []
  }
}
