import type { ReportingProducer, FleetConsumer } from "@kafka-fleet/kafka";

import type { TransactionPort } from "./loops/consumer-port.ts";

/** Exactly-once on Kafka: the output producer's transactions, carrying the consumer's offsets and group metadata. */
export function kafkaTransactions(producer: ReportingProducer, consumer: FleetConsumer): TransactionPort {
  return {
    begin: () => producer.beginTransaction(),
    async commit(offsets) {
      await producer.sendOffsetsToTransaction(offsets, consumer.client);
      await producer.commitTransaction();
    },
    abort: () => producer.abortTransaction(),
  };
}
