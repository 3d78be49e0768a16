import type { ReportingProducer, FleetConsumer } from "@kafka-fleet/kafka";
import { inCommitSpan, tracingEnabled } from "@kafka-fleet/tracing";

import type { TransactionPort } from "./loops/consumer-port.ts";

/** Exactly-once on Kafka: the output producer's transactions, carrying the consumer's offsets and group metadata. */
export function kafkaTransactions(producer: ReportingProducer, consumer: FleetConsumer): TransactionPort {
  return {
    begin: () => producer.beginTransaction(),
    async commit(offsets) {
      const commit = async () => {
        await producer.sendOffsetsToTransaction(offsets, consumer.client);
        await producer.commitTransaction();
      };
      const first = offsets[0];
      if (first === undefined || !tracingEnabled()) return commit();
      return inCommitSpan({ topic: first.topic, offsets }, commit);
    },
    abort: () => producer.abortTransaction(),
  };
}
