// What a token provider hands over for SASL/OAUTHBEARER, checked before librdkafka sees it, and the client
// properties a provider needs. Pure: the refresh itself is in oauthbearer.ts. A token's value is a secret: no
// message here ever quotes it.

/** One token from a provider: what `OAuthBearerTokenProvider` resolves to. */
export interface OAuthBearerToken {
  /** The bearer token the brokers validate (a JWT, say): RFC 6750's characters, letters, digits, -._~+/ and =. */
  readonly token: string;
  /**
   * When it stops being valid: a Date, or milliseconds since the epoch (a JWT's `exp` is in seconds: times 1000).
   * librdkafka asks for the next token at 80% of its life.
   */
  readonly expiresAt: Date | number;
  /** Who the token names; librdkafka logs it. Empty when left out. */
  readonly principal?: string;
  /** SASL extensions sent with the token (RFC 7628): names of letters only (not "auth"), printable values. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/**
 * Fetches a token (from a cloud's IAM, a secrets service, ...). Called when a client starts and again before its
 * token expires; a throw is logged and librdkafka asks again about 10 s later.
 */
export type OAuthBearerTokenProvider = () => Promise<OAuthBearerToken>;

/** The token as the binding's refresh callback hands it to librdkafka. */
export interface LibrdkafkaToken {
  readonly tokenValue: string;
  /** Expiry, milliseconds since the epoch. */
  readonly lifetime: number;
  readonly principal: string;
  readonly extensions: Record<string, string>;
}

/** A provider's answer that cannot be used, saying which part and why (never the token's value). */
export class OAuthBearerTokenError extends Error {
  constructor(problem: string) {
    super(`OAUTHBEARER token provider: ${problem}`);
    this.name = "OAuthBearerTokenError";
  }
}

// RFC 6750's b64token: what fits after "Bearer " in the SASL message.
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// RFC 7628: key = 1*(ALPHA); value = *(VCHAR / SP / HTAB / CR / LF). "auth" carries the token itself.
const EXTENSION_KEY = /^[A-Za-z]+$/;
const EXTENSION_VALUE = /^[\x21-\x7e \t\r\n]*$/;
// Before 1973 in milliseconds, after it in seconds: an expiry this small was given in seconds.
const SECONDS_NOT_MILLISECONDS = 100_000_000_000;

/**
 * A provider's answer, checked and shaped for librdkafka at `nowMs`: the token usable, its expiry in the future.
 * Throws an OAuthBearerTokenError naming what is wrong.
 */
export function toLibrdkafkaToken(answer: unknown, nowMs: number): LibrdkafkaToken {
  if (typeof answer !== "object" || answer === null)
    throw new OAuthBearerTokenError(
      `returned ${answer === null ? "null" : typeof answer}, expected { token, expiresAt }`,
    );
  const { token, expiresAt, principal, extensions } = answer as Partial<
    Record<keyof OAuthBearerToken, unknown>
  >;
  if (typeof token !== "string" || token === "")
    throw new OAuthBearerTokenError("token: expected a non-empty string");
  if (!BEARER_TOKEN.test(token))
    throw new OAuthBearerTokenError(
      "token: expected a bearer token (letters, digits, - . _ ~ + / and trailing =), it holds other characters",
    );
  if (principal !== undefined && typeof principal !== "string")
    throw new OAuthBearerTokenError("principal: expected a string");
  return {
    tokenValue: token,
    lifetime: expiryOf(expiresAt, nowMs),
    principal: principal ?? "",
    extensions: extensionsOf(extensions),
  };
}

/** The expiry in milliseconds since the epoch, in the future. */
export function expiryOf(expiresAt: unknown, nowMs: number): number {
  const ms =
    expiresAt instanceof Date ? expiresAt.getTime() : typeof expiresAt === "number" ? expiresAt : Number.NaN;
  if (!Number.isFinite(ms))
    throw new OAuthBearerTokenError("expiresAt: expected a Date or milliseconds since the epoch");
  if (ms <= nowMs) {
    if (ms > 0 && ms < SECONDS_NOT_MILLISECONDS && ms * 1000 > nowMs)
      throw new OAuthBearerTokenError(
        `expiresAt: ${ms} looks like seconds since the epoch (a JWT's exp): give milliseconds (exp * 1000) or a Date`,
      );
    throw new OAuthBearerTokenError(
      `expiresAt: the token expired at ${new Date(ms).toISOString()} (now ${new Date(nowMs).toISOString()}): return a fresh one`,
    );
  }
  return Math.floor(ms);
}

function extensionsOf(extensions: unknown): Record<string, string> {
  if (extensions === undefined) return {};
  if (typeof extensions !== "object" || extensions === null || Array.isArray(extensions))
    throw new OAuthBearerTokenError("extensions: expected an object of names to strings");
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(extensions)) {
    if (!EXTENSION_KEY.test(name) || name === "auth")
      throw new OAuthBearerTokenError(
        `extensions: "${name}" is not an extension name (letters only, and not "auth")`,
      );
    if (typeof value !== "string" || !EXTENSION_VALUE.test(value))
      throw new OAuthBearerTokenError(
        `extensions: the value of "${name}" must be a string of printable characters`,
      );
    checked[name] = value;
  }
  return checked;
}

const SASL_PROTOCOLS = ["sasl_plaintext", "sasl_ssl"];

/**
 * What in the client properties (KAFKA_CLIENT_*) keeps a token provider from being used, each naming its
 * variable: librdkafka would ignore the provider (no SASL, another mechanism) or refuse to start with it.
 */
export function oauthBearerPropertyProblems(properties: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const protocol = properties["security.protocol"];
  if (protocol === undefined || !SASL_PROTOCOLS.includes(protocol.toLowerCase()))
    problems.push(
      `KAFKA_CLIENT_SECURITY_PROTOCOL${protocol === undefined ? " unset" : `="${protocol}"`}: a token provider needs SASL_SSL (or SASL_PLAINTEXT)`,
    );
  for (const property of ["sasl.mechanism", "sasl.mechanisms"]) {
    const mechanism = properties[property];
    if (mechanism !== undefined && mechanism.toUpperCase() !== "OAUTHBEARER")
      problems.push(
        `${variableOf(property)}="${mechanism}": a token provider is OAUTHBEARER (leave it unset or set OAUTHBEARER)`,
      );
  }
  if (properties["sasl.oauthbearer.method"]?.toLowerCase() === "oidc")
    problems.push(
      "KAFKA_CLIENT_SASL_OAUTHBEARER_METHOD=oidc: librdkafka would fetch the token itself; unset it to use the token provider",
    );
  if (["true", "1"].includes(properties["enable.sasl.oauthbearer.unsecure.jwt"]?.toLowerCase() ?? ""))
    problems.push(
      "KAFKA_CLIENT_ENABLE_SASL_OAUTHBEARER_UNSECURE_JWT: librdkafka's own test tokens cannot be used beside a token provider; unset it",
    );
  return problems;
}

function variableOf(property: string): string {
  return `KAFKA_CLIENT_${property.toUpperCase().replaceAll(".", "_")}`;
}
