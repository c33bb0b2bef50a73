import { Context } from "effect"
import type { CoreSettings } from "../domain/model/Settings.js"

/** The core's configuration (no secrets), provided by the config adapter or by tests. */
export class Settings extends Context.Tag("ports/Settings")<Settings, CoreSettings>() {}
