// npm run audit -- --topic <t> --from <a> --to <b> [--bootstrap h:p,...] [--isolation read_committed|read_uncommitted]
//                  [--exactly-once]
// Reads the topic from the beginning to its end and prints a JSON report of the range [from, to): how many values
// are missing and how many repeated. Several topics, comma-separated (a worker's per-topic results), are audited
// one after another, a line each. Exit 0 when nothing is missing in any (and, with --exactly-once, nothing
// repeated), 1 otherwise, 2 on bad arguments. Like the services, it takes the brokers from KAFKA_BOOTSTRAP_SERVERS (unless
// --bootstrap is given) and any librdkafka property from KAFKA_CLIENT_* (security, SASL, TLS), checked the same
// way; a secret's value is never printed.
import { parseArgs } from "node:util";

import { kafkaFailureHints } from "@kafka-fleet/kafka";
import { describeFailure, isSecret, messageOf } from "@kafka-fleet/service";

import { auditValues } from "./audit.ts";
import { readTopicValues } from "./read-topic.ts";
import { toolKafkaSettings } from "./tool-settings.ts";

const USAGE =
  "usage: npm run audit -- --topic <topic>[,<topic>...] --from <int64> --to <int64> " +
  "[--bootstrap host:port,...] [--isolation read_committed|read_uncommitted] [--exactly-once]";

function fail(message: string): never {
  process.stderr.write(`audit: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function int64(name: string, text: string | undefined): bigint {
  if (text === undefined || !/^[-+]?\d+$/.test(text))
    fail(`--${name} must be an integer, got ${text ?? "nothing"}`);
  return BigInt(text);
}

// Like the services: any librdkafka property from KAFKA_CLIENT_* (or KAFKA_CLIENT_*_FILE, a file holding it).
const kafka = toolKafkaSettings("audit", process.env, isSecret);
const { properties } = kafka;

let parsed;
try {
  parsed = parseArgs({
    options: {
      topic: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      bootstrap: {
        type: "string",
        default: kafka.bootstrap,
      },
      isolation: { type: "string", default: "read_committed" },
      "exactly-once": { type: "boolean", default: false },
    },
  }).values;
} catch (error) {
  fail(messageOf(error));
}
const { topic, bootstrap, isolation } = parsed;
if (topic === undefined) fail("--topic is required");
const from = int64("from", parsed.from);
const to = int64("to", parsed.to);
if (to <= from) fail(`--to (${to}) must be greater than --from (${from})`);
if (isolation !== "read_committed" && isolation !== "read_uncommitted") {
  fail(`--isolation must be read_committed or read_uncommitted, got ${isolation}`);
}

const topics = topic.split(",").map((name) => name.trim());
if (topics.some((name) => name === "")) fail(`--topic must name topics separated by commas, got ${topic}`);

// Each topic on its own line, each with its own verdict: one that cannot be read does not hide the others'.
let allOk = true;
for (const name of topics) {
  try {
    const { values, unreadable } = await readTopicValues({
      bootstrapServers: bootstrap.split(","),
      topic: name,
      isolation,
      properties,
    });
    const report = auditValues({ from, to }, values, unreadable);
    const ok = report.missing === 0 && (!parsed["exactly-once"] || report.duplicates === 0);
    allOk &&= ok;
    process.stdout.write(
      `${JSON.stringify({ topic: name, from: String(from), to: String(to), isolation, ok, ...report })}\n`,
    );
  } catch (error) {
    // The library's facts, and what to check (KAFKA_CLIENT_* for refused credentials) as the services say it.
    process.stderr.write(
      `audit: could not read ${name}: ${describeFailure(error, kafkaFailureHints).message}\n`,
    );
    allOk = false;
  }
}
process.exitCode = allOk ? 0 : 1;
