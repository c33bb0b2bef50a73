import { wechatDriver } from "./drivers/wechatDriver.js"
import { webhookContract } from "./webhookContract.js"

webhookContract(wechatDriver)
