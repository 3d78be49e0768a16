import { runService } from "@kafka-fleet/service";

import { batchConsumerService } from "./service.ts";

await runService(batchConsumerService());
