import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseMetricsText, sum } from "../metrics-text.ts";
import { snapshotOf } from "../snapshot.ts";
import { renderWatched, WIDTH } from "../view.ts";

const page = (
  processed: number,
  batches: number,
  rebalances: number,
) => `# HELP kafka_fleet_messages_processed_total x
# TYPE kafka_fleet_messages_processed_total counter
kafka_fleet_messages_processed_total{service="batch-consumer"} ${processed}
kafka_fleet_batch_size_sum{service="batch-consumer"} ${batches * 10}
kafka_fleet_batch_size_count{service="batch-consumer"} ${batches}
kafka_fleet_batch_processing_seconds_sum{service="batch-consumer"} ${batches * 0.012}
kafka_fleet_batch_processing_seconds_count{service="batch-consumer"} ${batches}
kafka_fleet_consumer_lag{topic="topic_app",partition="1",service="batch-consumer"} 3
kafka_fleet_consumer_lag{topic="topic_app",partition="0",service="batch-consumer"} 12
kafka_fleet_rebalances_total{kind="assigned",service="batch-consumer"} ${rebalances}
kafka_fleet_dead_letters_total{reason="SERDE_WRONG_LENGTH",service="batch-consumer"} 2
kafka_fleet_commits_total{result="ok",service="batch-consumer"} 90
kafka_fleet_commits_total{result="failed",service="batch-consumer"} 1
kafka_fleet_poll_loop_stalled{service="batch-consumer"} 0
`;

describe("parseMetricsText", () => {
  it("reads names, labels (escapes included) and values, and skips comments", () => {
    const samples = parseMetricsText('a_total{x="1",y="q\\"uote"} 5\n# c\nb 2.5e3\n');
    assert.deepEqual(samples, [
      { name: "a_total", labels: { x: "1", y: 'q"uote' }, value: 5 },
      { name: "b", labels: {}, value: 2500 },
    ]);
    assert.equal(sum(samples, "a_total", { x: "1" }), 5);
    assert.equal(sum(samples, "a_total", { x: "2" }), 0);
  });
});

describe("the live view of a batch consumer", () => {
  const first = snapshotOf(parseMetricsText(page(1000, 100, 1)), 0);
  const second = snapshotOf(parseMetricsText(page(3000, 300, 2)), 2000);

  it("shows rates between two scrapes, the batch size and duration, lag per partition in order", () => {
    const lines = renderWatched(
      {
        target: "http://127.0.0.1:9466",
        current: second,
        previous: first,
        lastRebalanceAt: 1000,
        error: undefined,
      },
      5000,
    );
    assert.match(
      lines[0] ?? "",
      /^batch-consumer {2}127\.0\.0\.1:9466 {2}1,000 msg\/s {2}total 3,000 {2}batch 10 in 12 ms$/,
    );
    assert.equal(lines[1], "  lag 15 (p0:12 p1:3)");
    assert.equal(lines[2], "  rebalanced 4s ago  dead letters 2  commit failures 1");
  });

  it("has no rate on the first scrape and fits every line in 80 columns", () => {
    const lines = renderWatched(
      {
        target: "http://127.0.0.1:9466",
        current: first,
        previous: undefined,
        lastRebalanceAt: undefined,
        error: undefined,
      },
      0,
    );
    assert.match(lines[0] ?? "", /9466 +- +total/);
    assert.match(lines[2] ?? "", /rebalanced never/);
    const manyPartitions = snapshotOf(
      parseMetricsText(
        Array.from(
          { length: 40 },
          (_, p) => `kafka_fleet_consumer_lag{partition="${p}",service="batch-consumer"} 123456`,
        ).join("\n"),
      ),
      0,
    );
    for (const line of renderWatched(
      {
        target: "x",
        current: manyPartitions,
        previous: undefined,
        lastRebalanceAt: undefined,
        error: undefined,
      },
      0,
    ))
      assert.ok(line.length <= WIDTH, line);
  });

  it("says when a process does not answer", () => {
    const [line] = renderWatched(
      {
        target: "http://127.0.0.1:9999",
        current: undefined,
        previous: undefined,
        lastRebalanceAt: undefined,
        error: "unreachable (fetch failed)",
      },
      0,
    );
    assert.match(line ?? "", /127\.0\.0\.1:9999 .*unreachable \(fetch failed\)/);
  });
});
