// A worker of one's own on the fleet's API: orders arrive as JSON, their totals leave as JSON on RESULTS_TOPIC.
// Malformed JSON never reaches the handler (the deserializer throws: a dead letter); an order that fails
// validation is reported as unrecoverable (a dead letter at once, no retries), and the rest of its batch goes on.
// README.md shows the code below as it is (test/docs/readme-example.test.ts fails when the two differ). Run it:
//   make topic TOPIC=orders      # orders, orders.dlq (DLQ_TOPIC's default) and orders.results
//   KAFKA_TOPIC=orders RESULTS_TOPIC=orders.results bin/run examples/json-worker/main.ts
import { runService } from "@kafka-fleet/service";
import { UnrecoverableError, defineWorker, resultsTopicOf, type RecordFailure } from "@kafka-fleet/worker";

type Order = { id: string; quantity: number; unitPrice: number };

await runService(
  defineWorker({
    name: "json-worker", // logs, metrics, client ids; default group kafka-fleet-json-worker
    mode: "batch", // or "single": one record per call, in ORDERING order
    requiresResultsTopic: true, // without RESULTS_TOPIC it exits 2 at start
    deserialize: (bytes) => JSON.parse(bytes?.toString("utf8") ?? "") as Order, // throws: a dead letter
    async handle(records, { producer, config }) {
      const invalid: RecordFailure<Order>[] = [];
      const totals = [];
      for (const record of records) {
        const { id, quantity, unitPrice } = record.value;
        if (typeof id !== "string" || !(quantity > 0) || !(unitPrice >= 0)) {
          const error = new UnrecoverableError(`order ${id}: invalid quantity or price`, {
            code: "INVALID_ORDER",
          });
          invalid.push({ record, error });
          continue;
        }
        const total = Buffer.from(JSON.stringify({ id, total: quantity * unitPrice }));
        // RESULTS_TOPIC, or its rule for this record's topic ({topic}.results with several input topics)
        totals.push({ topic: resultsTopicOf(config, record.topic)!, key: record.key, value: total });
      }
      await producer.sendAll(totals); // resolves once acknowledged (in the transaction under exactly_once)
      return invalid; // the others succeeded and are never run again
    },
  }),
);
