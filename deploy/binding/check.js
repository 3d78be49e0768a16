// Whether the installed @confluentinc/kafka-javascript addon was built from the patched sources
// (deploy/binding/*.patch): the patches add NodeKafka::PropertyNames, Message::TopicNameCache,
// Producer::ProduceWithoutHeaders, Producer::ProduceRun, Workers::PackedBatch, KafkaConsumer::TakeQueued and NodeKafka::ShareConsumer,
// whose names are in the addon's symbol table, produceRun to lib/producer.js, unpackMessages and consumePacked to
// lib/kafka-consumer.js, lib/share-consumer.js and its export from
// lib/index.js, and a debug message to librdkafka (build/deps/librdkafka.so.1 when
// linked dynamically, the addon itself when linked statically). deploy/setup.sh and the Dockerfile run it after the build; a unit test
// too.
//
//   node deploy/binding/check.js [package dir]      exit 0 and one line when patched, 1 otherwise
import console from "node:console";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

// As mangled in the symbol table: one or two per patch file.
const MARKERS = [
  "9NodeKafka13PropertyNames",
  "14TopicNameCache",
  "8Producer21ProduceWithoutHeaders",
  "8Producer10ProduceRun",
  "7Workers11PackedBatch",
  "13KafkaConsumer10TakeQueued",
  "9NodeKafka13ShareConsumer",
];
/** A string the librdkafka-coord-timeout patch adds to librdkafka (a debug message). */
const LIBRDKAFKA_MARKER = "timed out before it could be sent";
/**
 * What the patches add to the JavaScript layer: produce-run calls the addon's produceRun, record-packing unpacks
 * what the addon packs (or hands the packed batch over, consumePacked), share-consumer wraps the native share consumer and exports it.
 */
const JS_MARKERS = [
  { file: "lib/producer.js", text: "Producer.prototype.produceRun = function(" },
  { file: "lib/kafka-consumer.js", text: "function unpackMessages(" },
  { file: "lib/kafka-consumer.js", text: "KafkaConsumer.prototype.consumePacked = function(" },
  { file: "lib/share-consumer.js", text: "function ShareConsumer(config)" },
  { file: "lib/index.js", text: "ShareConsumer: require('./share-consumer')" },
];

/** The installed package's folder, as the workspace resolves it. */
export function bindingPackageDir() {
  const require = createRequire(
    join(dirname(fileURLToPath(import.meta.url)), "../../libs/kafka/package.json"),
  );
  return dirname(require.resolve("@confluentinc/kafka-javascript/package.json"));
}

/** { addon, patched, missing }: the addon file and which of the patch's symbols it lacks. */
export function checkBinding(packageDir = bindingPackageDir()) {
  const addon = join(packageDir, "build/Release/confluent-kafka-javascript.node");
  const bytes = readFileSync(addon);
  const missing = MARKERS.filter((marker) => !bytes.includes(marker));
  const librdkafka = join(packageDir, "build/deps/librdkafka.so.1");
  const librdkafkaBytes = existsSync(librdkafka) ? readFileSync(librdkafka) : bytes;
  if (!librdkafkaBytes.includes(LIBRDKAFKA_MARKER)) missing.push(`librdkafka: "${LIBRDKAFKA_MARKER}"`);
  for (const marker of JS_MARKERS) {
    const file = join(packageDir, marker.file);
    if (!existsSync(file) || !readFileSync(file, "utf8").includes(marker.text)) {
      missing.push(`${marker.file}: ${marker.text}`);
    }
  }
  return { addon, patched: missing.length === 0, missing };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = checkBinding(process.argv[2] ?? bindingPackageDir());
  if (result.patched) {
    console.log(`[binding] ${result.addon} is built with deploy/binding's patch`);
  } else {
    console.error(
      `[binding] error: ${result.addon} is not built from deploy/binding's patch (lacks ${result.missing.join(", ")}):` +
        " install with deploy/setup.sh (npm ci --ignore-scripts, deploy/binding/apply.sh, npm rebuild)",
    );
    process.exit(1);
  }
}
