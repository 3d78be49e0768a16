import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { partitionLag } from "../src/partition-lag.ts";

describe("partitionLag", () => {
  it("prefers the lag behind the stored offset, then the lag behind the committed one", () => {
    assert.equal(partitionLag({ consumer_lag_stored: 3, consumer_lag: 40 }), 3);
    assert.equal(partitionLag({ consumer_lag_stored: -1, consumer_lag: 40 }), 40);
    assert.equal(partitionLag({ consumer_lag: 0, lo_offset: 0, hi_offset: 9 }), 0);
  });

  it("is 0 for an empty partition the group never committed to", () => {
    assert.equal(partitionLag({ consumer_lag_stored: -1, consumer_lag: -1, lo_offset: 0, hi_offset: 0 }), 0);
    assert.equal(partitionLag({ consumer_lag: -1, lo_offset: 120, hi_offset: 120 }), 0);
  });

  it("is unknown while librdkafka knows neither lag nor an empty partition", () => {
    assert.equal(partitionLag({}), undefined);
    assert.equal(partitionLag({ consumer_lag: -1, lo_offset: 0, hi_offset: 7 }), undefined);
    assert.equal(partitionLag({ consumer_lag: -1, lo_offset: -1, hi_offset: -1 }), undefined);
  });
});
