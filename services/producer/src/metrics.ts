import { Counter, type Registry } from "prom-client";

import { METRIC_PREFIX } from "@kafka-fleet/service";

/** The producer's metrics (docs/design.md, Metrics). */
export function createProducerMetrics(registry: Registry) {
  return {
    messagesProduced: new Counter({
      name: `${METRIC_PREFIX}messages_produced_total`,
      help: "Messages acknowledged by the cluster (counted from delivery reports, not from produce calls).",
      registers: [registry],
    }),
    deliveryFailures: new Counter({
      name: `${METRIC_PREFIX}delivery_failures_total`,
      help: "Messages whose delivery report carried an error.",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
  };
}
export type ProducerMetrics = ReturnType<typeof createProducerMetrics>;
