import { lineDriver } from "./drivers/lineDriver.js"
import { webhookContract } from "./webhookContract.js"

webhookContract(lineDriver)
