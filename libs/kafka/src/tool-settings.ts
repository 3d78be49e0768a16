// The Kafka settings of the fleet's command-line tools (the audit, make send/read), read as the services read them.
import { readClientProperties } from "./client-properties.ts";

/** The local cluster's brokers, for a tool started without bin/run (which sets KAFKA_BOOTSTRAP_SERVERS). */
const LOCAL_BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096";

export interface ToolKafkaSettings {
  /** The default of a tool's --bootstrap: KAFKA_BOOTSTRAP_SERVERS, else the local cluster. */
  readonly bootstrap: string;
  /** Every librdkafka property from KAFKA_CLIENT_*, checked as the services check them. */
  readonly properties: Record<string, string>;
}

/**
 * A tool's cluster settings from its environment. A refused KAFKA_CLIENT_* variable ends the tool here, as it
 * would a service: one line on stderr naming each (`isSecret` keeps a secret's value out of it), exit code 2.
 */
export function toolKafkaSettings(
  tool: string,
  env: NodeJS.ProcessEnv,
  isSecret: (name: string) => boolean,
): ToolKafkaSettings {
  const { properties, problems } = readClientProperties(env, isSecret);
  if (problems.length > 0) {
    process.stderr.write(`${tool}: invalid configuration: ${problems.join("; ")}\n`);
    process.exit(2);
  }
  return { bootstrap: env.KAFKA_BOOTSTRAP_SERVERS ?? LOCAL_BOOTSTRAP, properties };
}
