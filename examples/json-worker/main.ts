// A worker of one's own on the fleet's API: orders arrive as JSON, their totals leave as JSON on RESULTS_TOPIC.
// Malformed JSON never reaches the handler (the deserializer throws: a dead letter); an order that fails
// validation is reported as unrecoverable (a dead letter at once, no retries), and the rest of its batch goes on.
//
//   KAFKA_TOPIC=orders RESULTS_TOPIC=orders.totals node --import tsx examples/json-worker/main.ts
//
// Its three topics must exist first, the dead-letter topic too (DLQ_TOPIC, by default orders.dlq): the worker
// checks them at start and exits 1 naming a missing one. On the local cluster:
//   for t in orders orders.totals orders.dlq; do bash deploy/local/cluster.sh topic "$t"; done
import { runService } from "@kafka-fleet/service";
import { UnrecoverableError, defineWorker, type RecordFailure } from "@kafka-fleet/worker";

interface Order {
  readonly id: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

await runService(
  defineWorker({
    name: "json-worker",
    mode: "batch",
    deserialize: (bytes) => JSON.parse(bytes?.toString("utf8") ?? "") as Order,
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
        const total = JSON.stringify({ id, total: quantity * unitPrice });
        totals.push({
          topic: config.resultsTopic ?? "orders.totals",
          key: record.key,
          value: Buffer.from(total),
        });
      }
      await producer.sendAll(totals);
      return invalid;
    },
  }),
);
