import { runService } from "@kafka-fleet/service";

import { producerService } from "./service.ts";

await runService(producerService());
