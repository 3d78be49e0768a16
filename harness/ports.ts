// The local cluster's addresses, from the one base the scripts read (deploy/local/ports.sh): node N's broker on
// KAFKA_PORT_BASE + 2(N-1), its SASL/SCRAM listener 100 above and its
// SASL/OAUTHBEARER listener the port after that. Tests, benchmarks and labs follow it, so a second
// checkout's cluster on another base is tested as the first.

/** The lowest and highest base: the cluster takes the base, the next five ports, and 100, 200 and 300 above them. */
export const PORT_BASE_RANGE = { min: 1024, max: 65_231 } as const;
export const DEFAULT_PORT_BASE = 9092;

export interface LocalClusterAddresses {
  /** PLAINTEXT listeners, 127.0.0.1:<port> of nodes 1, 2, 3. */
  readonly bootstrap: readonly string[];
  /** SASL_PLAINTEXT (SCRAM) listeners of nodes 1, 2, 3. */
  readonly sasl: readonly string[];
  /** SASL_PLAINTEXT (OAUTHBEARER, unsecured JWTs) listeners of nodes 1, 2, 3: the port after SCRAM's. */
  readonly oauth: readonly string[];
}

/** Reads KAFKA_PORT_BASE (unset or empty: 9092) as the scripts do; a bad value is refused naming it. */
export function localClusterAddresses(env: NodeJS.ProcessEnv): LocalClusterAddresses {
  const text = env.KAFKA_PORT_BASE ?? "";
  const base = text === "" ? DEFAULT_PORT_BASE : /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(base >= PORT_BASE_RANGE.min && base <= PORT_BASE_RANGE.max)) {
    throw new Error(
      `KAFKA_PORT_BASE="${text}": expected whole number from ${PORT_BASE_RANGE.min} to ${PORT_BASE_RANGE.max}, e.g. 19092`,
    );
  }
  const nodes = [0, 1, 2];
  return {
    bootstrap: nodes.map((i) => `127.0.0.1:${base + 2 * i}`),
    sasl: nodes.map((i) => `127.0.0.1:${base + 100 + 2 * i}`),
    oauth: nodes.map((i) => `127.0.0.1:${base + 101 + 2 * i}`),
  };
}
