import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { localClusterAddresses } from "../ports.ts";

describe("localClusterAddresses", () => {
  it("is the cluster's fixed layout by default: brokers 9092/9094/9096, SASL 9192/9194/9196", () => {
    for (const env of [{}, { KAFKA_PORT_BASE: "" }]) {
      assert.deepEqual(localClusterAddresses(env), {
        bootstrap: ["127.0.0.1:9092", "127.0.0.1:9094", "127.0.0.1:9096"],
        sasl: ["127.0.0.1:9192", "127.0.0.1:9194", "127.0.0.1:9196"],
        oauth: ["127.0.0.1:9193", "127.0.0.1:9195", "127.0.0.1:9197"],
      });
    }
  });

  it("moves every port with KAFKA_PORT_BASE, as deploy/local/ports.sh does", () => {
    assert.deepEqual(localClusterAddresses({ KAFKA_PORT_BASE: "19092" }), {
      bootstrap: ["127.0.0.1:19092", "127.0.0.1:19094", "127.0.0.1:19096"],
      sasl: ["127.0.0.1:19192", "127.0.0.1:19194", "127.0.0.1:19196"],
      oauth: ["127.0.0.1:19193", "127.0.0.1:19195", "127.0.0.1:19197"],
    });
  });

  it("refuses a base that is not a whole number, or leaves no room for the cluster's ports", () => {
    for (const bad of ["9092x", "-1", "1023", "65232", "9e3", " 9092"]) {
      assert.throws(
        () => localClusterAddresses({ KAFKA_PORT_BASE: bad }),
        new RegExp(
          `^Error: KAFKA_PORT_BASE="${bad.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}": expected whole`,
        ),
      );
    }
    assert.equal(localClusterAddresses({ KAFKA_PORT_BASE: "65231" }).sasl[2], "127.0.0.1:65335");
  });
});
