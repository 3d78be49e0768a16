// The Kafka layer's parts for its own unit tests (@kafka-fleet/kafka/internal): not the API, and free to change.
export { DeliveryLedger } from "./delivery-ledger.ts";
export { baseClientConfig, reliableProducerConfig } from "./client-config.ts";
export {
  clientPropertiesFromVariables,
  clientPropertyName,
  clientPropertyVariable,
} from "./client-properties.ts";
export { expiryOf, toLibrdkafkaToken } from "./oauthbearer-token.ts";
