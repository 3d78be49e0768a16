// What a worker reads and where each record's dead letters and results go, as pure rules: the parsing of
// KAFKA_TOPIC (a list), KAFKA_TOPIC_PATTERN (a librdkafka `^` regex), and the per-topic naming of DLQ_TOPIC and
// RESULTS_TOPIC (`{topic}` stands for the record's own topic). No I/O: start.ts and the consumer apply them.

/** Kafka's longest topic name. */
export const MAX_TOPIC_NAME = 249;
/** Stands for the record's topic in DLQ_TOPIC and RESULTS_TOPIC; `{` cannot be part of a topic's name. */
export const TOPIC_PLACEHOLDER = "{topic}";
/** DLQ_TOPIC unless set: each input topic's dead letters beside it, as `make topic` creates them. */
export const DEFAULT_DLQ_ROUTE = `${TOPIC_PLACEHOLDER}.dlq`;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const TOPIC_CHARACTERS = /^[a-zA-Z0-9._-]*$/;

/** What a worker subscribes to: listed topics, or the topics a pattern matches (then `topics` is empty). */
export interface Subscription {
  readonly topics: readonly string[];
  readonly pattern: string | undefined;
}

/** A parsed value, or what was wrong with it (phrased to follow `NAME=value: `). */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const refused = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

function topicNameProblem(name: string): string | undefined {
  if (!TOPIC_NAME.test(name))
    return `"${name}" is not a Kafka topic name: 1-249 characters of a-z A-Z 0-9 . _ -`;
  if (name === "." || name === "..") return 'a topic cannot be named "." or ".."';
  return undefined;
}

/** KAFKA_TOPIC: one topic name or several, comma-separated, each once. */
export function parseTopicList(value: string): Parsed<readonly string[]> {
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) {
    const problem = topicNameProblem(name);
    if (problem !== undefined)
      return refused(`expected a Kafka topic name, or several separated by commas: ${problem}`);
  }
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) return refused(`${twice} is listed twice`);
  return ok(names);
}

/**
 * KAFKA_TOPIC_PATTERN: a regular expression starting with `^`, which is how librdkafka tells a pattern from a
 * topic's name in a subscription. librdkafka matches it (its own engine); it is compiled here as JavaScript too,
 * so that a typo exits 2 at start, and so that the worker can say what it matches now.
 */
export function parseTopicPattern(value: string): Parsed<string> {
  if (!value.startsWith("^")) {
    return refused(
      `expected a regular expression starting with ^ (librdkafka's pattern subscription), e.g. ^orders-[^.]+$`,
    );
  }
  try {
    new RegExp(value);
  } catch (error) {
    return refused(`not a regular expression: ${(error as Error).message}`);
  }
  return ok(value);
}

/** The topics a pattern matches among `topics`, as librdkafka would match them (JavaScript's engine here). */
export function topicsMatching(pattern: string, topics: readonly string[]): string[] {
  const regex = new RegExp(pattern);
  return topics.filter((topic) => regex.test(topic)).sort();
}

/**
 * DLQ_TOPIC or RESULTS_TOPIC: a topic's name (every record's go there), or a rule with `{topic}` once, the name
 * each source topic's go to (`{topic}.dlq`: `orders` → `orders.dlq`).
 */
export function parseTopicRoute(value: string): Parsed<string> {
  const parts = value.split(TOPIC_PLACEHOLDER);
  if (parts.length === 1) {
    const problem = topicNameProblem(value);
    return problem === undefined
      ? ok(value)
      : refused(`expected a Kafka topic name or a rule with {topic} (e.g. {topic}.dlq): ${problem}`);
  }
  if (parts.length > 2) return refused("{topic} may appear once");
  if (!parts.every((part) => TOPIC_CHARACTERS.test(part))) {
    return refused(
      `expected a Kafka topic name or a rule with {topic} (e.g. {topic}.dlq): only a-z A-Z 0-9 . _ - beside {topic}`,
    );
  }
  return ok(value);
}

/** Whether a route names one topic per source topic (it holds `{topic}`). */
export const isPerTopic = (route: string): boolean => route.includes(TOPIC_PLACEHOLDER);

/** The topic a record of `source` goes to under `route`. */
export function routeOf(route: string, source: string): string {
  return route.replace(TOPIC_PLACEHOLDER, source);
}

/**
 * Where a handler writes the results of a record of `topic`: RESULTS_TOPIC's topic, or its rule applied
 * (`{topic}.results`: `orders` → `orders.results`); undefined when RESULTS_TOPIC is unset.
 */
export function resultsTopicOf(
  config: { readonly resultsTopic: string | undefined },
  topic: string,
): string | undefined {
  return config.resultsTopic === undefined ? undefined : routeOf(config.resultsTopic, topic);
}

/** Whether `topic` is a name `route` can give, for some source topic: then it is an output, never an input. */
export function isRouteOutput(route: string, topic: string): boolean {
  if (!isPerTopic(route)) return topic === route;
  const [prefix = "", suffix = ""] = route.split(TOPIC_PLACEHOLDER);
  return topic.length > prefix.length + suffix.length && topic.startsWith(prefix) && topic.endsWith(suffix);
}

/** The worker's outputs: where dead letters and, when set, results go. */
export interface OutputRoutes {
  readonly dlq: string;
  readonly results: string | undefined;
}

/** Every topic a listed topic's records may be written to: its dead-letter topic and its results topic. */
export function outputsOf(routes: OutputRoutes, source: string): string[] {
  return [
    routeOf(routes.dlq, source),
    ...(routes.results === undefined ? [] : [routeOf(routes.results, source)]),
  ];
}

/**
 * Why a topic a pattern matched must not be read, or undefined when it may: reading the worker's own dead-letter
 * or results topic would loop (each dead letter or result read back and written again). With the default rule,
 * `^orders.*` matches `orders.dlq` too: a pattern must leave out the names the rules give (e.g. `^orders-[^.]+$`).
 */
export function refusedInput(routes: OutputRoutes, topic: string): string | undefined {
  const outputs: Array<[string, string | undefined]> = [
    ["DLQ_TOPIC", routes.dlq],
    ["RESULTS_TOPIC", routes.results],
  ];
  for (const [variable, route] of outputs) {
    if (route === undefined || !isRouteOutput(route, topic)) continue;
    return (
      `KAFKA_TOPIC_PATTERN matches ${topic}, a name of the worker's own ${variable} (${route}): reading it would ` +
      "loop; make the pattern leave such names out (e.g. ^orders-[^.]+$)"
    );
  }
  return undefined;
}

/** A routed name too long for Kafka, for a listed topic (a pattern's topics are known only once they come). */
export function tooLongRoute(route: string, sources: readonly string[]): string | undefined {
  return sources.map((source) => routeOf(route, source)).find((name) => name.length > MAX_TOPIC_NAME);
}

/** The subscription as librdkafka takes it: topic names, or the one `^` pattern. */
export function subscriptionList(subscription: Subscription): string[] {
  return subscription.pattern === undefined ? [...subscription.topics] : [subscription.pattern];
}

/** The subscription in a word, for logs and messages: `a,b` or the pattern. */
export function describeSubscription(subscription: Subscription): string {
  return subscriptionList(subscription).join(",");
}
