import { runService } from "@kafka-fleet/service";

import { singleConsumerService } from "./service.ts";

await runService(singleConsumerService());
