import { whatsappDriver } from "./drivers/whatsappDriver.js"
import { webhookContract } from "./webhookContract.js"

webhookContract(whatsappDriver)
