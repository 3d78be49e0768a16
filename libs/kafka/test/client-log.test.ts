import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CLIENT_LOG_INTERVAL_MS, clientLogListener, throttledClientErrorLog } from "../src/client-log.ts";
import type { KafkaLogger } from "../src/instruments.ts";

type Line = { level: string; fields: Record<string, unknown>; message: string | undefined };

function recordingLogger(): { logger: KafkaLogger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message?: string) => {
    lines.push({ level, fields, message });
  };
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

/** A clock the test moves by hand. */
function manualClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const sessionTimedOut = {
  severity: 4,
  fac: "SESSTMOUT",
  message: "Consumer group session timed out (in join-state steady) after 6002 ms",
};

describe("clientLogListener (librdkafka's log lines)", () => {
  it("logs a warning as kafka.client_log at warn, naming the client and librdkafka's facility", () => {
    const { logger, lines } = recordingLogger();
    clientLogListener(logger, "consumer")(sessionTimedOut);
    assert.deepEqual(lines, [
      {
        level: "warn",
        fields: {
          event: "kafka.client_log",
          client: "consumer",
          facility: "SESSTMOUT",
          severity: 4,
          repeated: 0,
        },
        message: sessionTimedOut.message,
      },
    ]);
  });

  it("folds the warnings of one facility for a while, then says how many it folded", () => {
    const { logger, lines } = recordingLogger();
    const clock = manualClock();
    const listen = clientLogListener(logger, "producer", clock.now);
    const refused = (broker: number) => ({ severity: 3, fac: "FAIL", message: `broker ${broker}: refused` });
    listen(refused(1));
    listen(refused(2));
    listen(refused(3));
    // Another facility is not folded into it.
    listen({ severity: 4, fac: "MAXPOLL", message: "max.poll.interval.ms exceeded" });
    clock.advance(CLIENT_LOG_INTERVAL_MS);
    listen(refused(2));
    assert.deepEqual(
      lines.map(({ fields, message }) => [fields.facility, fields.repeated, message]),
      [
        ["FAIL", 0, "broker 1: refused"],
        ["MAXPOLL", 0, "max.poll.interval.ms exceeded"],
        ["FAIL", 2, "broker 2: refused"],
      ],
    );
  });

  it("logs lines below a warning at debug, every one (KAFKA_CLIENT_DEBUG's traces)", () => {
    const { logger, lines } = recordingLogger();
    const listen = clientLogListener(logger, "consumer");
    listen({ severity: 7, fac: "HEARTBEAT", message: "heartbeat 1" });
    listen({ severity: 7, fac: "HEARTBEAT", message: "heartbeat 2" });
    listen({ severity: 6, fac: "CONFWARN", message: "an informational line" });
    assert.deepEqual(
      lines.map(({ level, fields, message }) => [level, fields.facility, message]),
      [
        ["debug", "HEARTBEAT", "heartbeat 1"],
        ["debug", "HEARTBEAT", "heartbeat 2"],
        ["debug", "CONFWARN", "an informational line"],
      ],
    );
  });
});

describe("throttledClientErrorLog (librdkafka's errors)", () => {
  it("logs each distinct text at most once a while, then says how many it folded", () => {
    const { logger, lines } = recordingLogger();
    const clock = manualClock();
    const listen = throttledClientErrorLog(logger, "consumer", clock.now);
    listen({ message: "broker transport failure" });
    listen({ message: "broker transport failure" });
    listen({ message: "all brokers down" });
    clock.advance(CLIENT_LOG_INTERVAL_MS - 1);
    listen({ message: "broker transport failure" });
    clock.advance(1);
    listen({ message: "broker transport failure" });
    assert.deepEqual(
      lines.map(({ level, fields, message }) => [level, fields.event, fields.repeated, message]),
      [
        ["warn", "kafka.client_error", 0, "broker transport failure"],
        ["warn", "kafka.client_error", 0, "all brokers down"],
        ["warn", "kafka.client_error", 2, "broker transport failure"],
      ],
    );
  });
});
