// A share-group worker's clients: the output producer (results and dead letters) and the share consumer.
import {
  FleetAdmin,
  clientId,
  clientIdentityOf,
  createShareConsumer,
  type ShareConsumerClient,
} from "@kafka-fleet/kafka";
import type { ServiceContext } from "@kafka-fleet/service";

import type { ConsumerMetrics } from "../metrics.ts";
import { connectOutputs, requireTopics, type Outputs } from "../start.ts";
import type { ShareWorkerConfig } from "../worker-config.ts";

export interface ShareClients extends Outputs {
  readonly consumer: ShareConsumerClient;
}

/**
 * Checks the topics, connects the output producer and makes the share consumer, subscribed; registers their stops
 * so that the consumer leaves first (what it acknowledged is committed, what it holds goes back to the group) and
 * the producer flushes after it.
 */
export async function startShareClients(
  context: ServiceContext<ShareWorkerConfig>,
  options: { service: string; metrics: ConsumerMetrics },
): Promise<ShareClients> {
  const { config } = context;
  const identity = clientIdentityOf(config, options.service);
  const admin = new FleetAdmin(identity, config.connectTimeoutMs);
  try {
    await requireTopics(admin, config.topics, { dlq: config.dlqTopic, results: config.resultsTopic });
  } finally {
    admin.close();
  }
  const { output, deadLetters } = await connectOutputs(context, identity, {
    metrics: options.metrics,
    transactional: false,
  });
  const consumer = createShareConsumer({
    ...config.clientProperties,
    "bootstrap.servers": config.bootstrapServers.join(","),
    "client.id": clientId(identity, "share"),
    "group.id": config.groupId,
    "max.poll.records": config.maxRecords,
  });
  consumer.subscribe([...config.topics]);
  context.onStop("share consumer", async () => {
    await consumer.close();
  });
  return { consumer, deadLetters, output };
}
