// bin/run tools/records/main.ts send --topic T [--format json|text] [--key-field F] [--bootstrap h:p,...] < lines
// bin/run tools/records/main.ts read --topic T [--format json|text] [--bootstrap h:p,...]
// (make send / make read). send: one record per line of stdin, all checked before any is sent, and exits 0 once
// the cluster acknowledged every one. read: prints the topic's records from the beginning to its end, one JSON
// line each, and exits. Exit 1 when the cluster fails or a topic is missing, 2 on bad arguments or input. Like
// the services, it takes the brokers from KAFKA_BOOTSTRAP_SERVERS (unless --bootstrap is given) and any librdkafka
// property from KAFKA_CLIENT_*; a secret's value is never printed.
import { text } from "node:stream/consumers";
import { parseArgs } from "node:util";

import { forEachRecord, toolKafkaSettings } from "@kafka-fleet/audit";
import {
  DeliveryProducer,
  FleetAdmin,
  kafkaFailureHints,
  requireTopic,
  type ClientIdentity,
} from "@kafka-fleet/kafka";
import { createLogger, describeFailure, isSecret, messageOf } from "@kafka-fleet/service";

import { FORMATS, InputLineError, recordLine, recordsFromLines, type Format } from "./lines.ts";

const USAGE =
  "usage: records send|read --topic <topic> [--format json|text] [--key-field <field>] [--bootstrap host:port,...]";
const CONNECT_TIMEOUT_MS = 15_000;

function fail(message: string): never {
  process.stderr.write(`records: ${message}\n${USAGE}\n`);
  process.exit(2);
}

// Like the services: any librdkafka property from KAFKA_CLIENT_* (or KAFKA_CLIENT_*_FILE, a file holding it).
const kafka = toolKafkaSettings("records", process.env, isSecret);
const { properties } = kafka;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      topic: { type: "string" },
      format: { type: "string", default: "json" },
      "key-field": { type: "string" },
      bootstrap: {
        type: "string",
        default: kafka.bootstrap,
      },
    },
  });
} catch (error) {
  fail(messageOf(error));
}
const [verb, ...extra] = parsed.positionals;
const { topic, bootstrap } = parsed.values;
const keyField = parsed.values["key-field"];
if (verb !== "send" && verb !== "read")
  fail(`the first argument must be send or read, got ${verb ?? "nothing"}`);
if (extra.length > 0) fail(`unexpected argument ${extra[0]}`);
if (topic === undefined || topic === "") fail("--topic is required");
const format = parsed.values.format as Format;
if (!FORMATS.includes(format)) fail(`--format must be json or text, got ${format}`);
if (verb === "read" && keyField !== undefined) fail("--key-field is for send");
const identity: ClientIdentity = { bootstrapServers: bootstrap.split(","), service: "records", properties };

try {
  if (verb === "send") await send(topic, format, keyField);
  else await read(topic, format);
} catch (error) {
  // The library's facts, and what to check, as the services say it.
  process.stderr.write(`records: ${verb} ${topic}: ${describeFailure(error, kafkaFailureHints).message}\n`);
  process.exitCode = 1;
}

async function send(topic: string, format: Format, keyField: string | undefined): Promise<void> {
  let records;
  try {
    records = recordsFromLines(await text(process.stdin), format, keyField);
  } catch (error) {
    if (error instanceof InputLineError) fail(`${error.message}; nothing was sent`);
    throw error;
  }
  const admin = new FleetAdmin(identity, CONNECT_TIMEOUT_MS);
  try {
    await requireTopic(admin, topic, "--topic");
  } finally {
    admin.close();
  }
  const producer = await DeliveryProducer.connect({
    identity,
    logger: createLogger({ service: "records", level: "warn", pretty: false }),
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  });
  try {
    await producer.sendAll(records.map(({ key, value }) => ({ topic, key, value })));
  } finally {
    await producer.close(5_000);
  }
  process.stderr.write(`records: ${records.length} ${format} records sent to ${topic} and acknowledged\n`);
}

async function read(topic: string, format: Format): Promise<void> {
  let count = 0;
  await forEachRecord(
    { bootstrapServers: identity.bootstrapServers, topic, properties, connectTimeoutMs: CONNECT_TIMEOUT_MS },
    (message) => {
      count += 1;
      process.stdout.write(`${recordLine(message, format)}\n`);
    },
  );
  process.stderr.write(`records: ${count} records read from ${topic}\n`);
}
