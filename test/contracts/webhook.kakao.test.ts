import { kakaoDriver } from "./drivers/kakaoDriver.js"
import { webhookContract } from "./webhookContract.js"

webhookContract(kakaoDriver)
