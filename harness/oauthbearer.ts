// Tokens for the local cluster's OAUTHBEARER listener (deploy/local/cluster.sh), which Kafka's unsecured JWT
// validator guards: an unsigned JWT (alg "none") with a subject and an expiry in the future is let in.
import type { OAuthBearerToken } from "@kafka-fleet/kafka";

import { localClusterAddresses } from "./ports.ts";

/** The OAUTHBEARER listeners of nodes 1, 2, 3 (KAFKA_PORT_BASE + 101, + 103, + 105). */
export const { oauth: OAUTH_BOOTSTRAP } = localClusterAddresses(process.env);

/** What takes a service to the OAUTHBEARER listener: the token is its provider's. */
export const OAUTH_CLIENT: Readonly<Record<string, string>> = {
  KAFKA_BOOTSTRAP_SERVERS: OAUTH_BOOTSTRAP.join(","),
  KAFKA_CLIENT_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
};

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An unsigned JWT for `subject`, valid from now for `lifetimeS` seconds (negative: expired already). */
export function unsecuredJwt(subject: string, lifetimeS = 3600, nowMs = Date.now()): OAuthBearerToken {
  const issuedAt = Math.floor(nowMs / 1000);
  const expiresAt = issuedAt + lifetimeS;
  return {
    token: `${base64url({ alg: "none" })}.${base64url({ sub: subject, iat: issuedAt, exp: expiresAt })}.`,
    expiresAt: expiresAt * 1000,
    principal: subject,
  };
}
