// The Kafka settings of the fleet's command-line tools (the audit, make send/read), read as the services read them.
import { isClientPropertyVariable, readClientProperties } from "@kafka-fleet/kafka";
import { ConfigError, messageOf, readFileVariables } from "@kafka-fleet/service";

/** The local cluster's brokers, for a tool started without bin/run (which sets KAFKA_BOOTSTRAP_SERVERS). */
const LOCAL_BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096";

export interface ToolKafkaSettings {
  /** The default of a tool's --bootstrap: KAFKA_BOOTSTRAP_SERVERS, else the local cluster. */
  readonly bootstrap: string;
  /** Every librdkafka property from KAFKA_CLIENT_* (or KAFKA_CLIENT_*_FILE, a file holding it), checked. */
  readonly properties: Record<string, string>;
}

/**
 * A tool's cluster settings from its environment. A refused KAFKA_CLIENT_* variable (or an unreadable file of
 * one) ends the tool here, as it would a service: one line on stderr naming each, exit code 2. A secret's value
 * is never printed.
 */
export function toolKafkaSettings(
  tool: string,
  env: NodeJS.ProcessEnv,
  isSecret: (name: string) => boolean,
): ToolKafkaSettings {
  let problems: readonly string[];
  let properties: Record<string, string> = {};
  try {
    const resolved = readFileVariables(env, isClientPropertyVariable);
    ({ properties, problems } = readClientProperties(resolved, isSecret));
  } catch (error) {
    problems = error instanceof ConfigError ? error.problems : [messageOf(error)];
  }
  if (problems.length > 0) {
    process.stderr.write(`${tool}: invalid configuration: ${problems.join("; ")}\n`);
    process.exit(2);
  }
  return { bootstrap: env.KAFKA_BOOTSTRAP_SERVERS ?? LOCAL_BOOTSTRAP, properties };
}
