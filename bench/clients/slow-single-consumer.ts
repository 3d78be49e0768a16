// The single consumer with a handler that waits HANDLER_DELAY_MS (default 5) per record: simulated I/O, the load
// under which ordering decides throughput (bench/parts/ordering.ts).
import { setTimeout as sleep } from "node:timers/promises";

import { runService } from "@kafka-fleet/service";
import { defineWorker, publishValues } from "@kafka-fleet/worker";

const delayMs = Number(process.env.HANDLER_DELAY_MS ?? "5");

await runService(
  defineWorker({
    name: "single-consumer",
    mode: "single",
    async handle(records, context) {
      await sleep(delayMs);
      await publishValues(records, context);
    },
  }),
);
