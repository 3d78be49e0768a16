/*
 * Kafka's own Java client at the single consumer's offered rate: the peer that tells what the cluster and Kafka's
 * reference client allow for a paced stream, where EndToEndLatency measures a ping-pong of one record at a time.
 *
 * One process, two threads: a producer with the Java client's defaults (acks=all, idempotent) and the linger.ms
 * given (the bench gives the producer service's 20; Java's default is 5) sends the values 0..rate*seconds-1 as 8-byte big-endian int64, keyless, paced per record as the producer service paces
 * them; a consumer assigned every partition of the fresh topic notes, for each value, the wall-clock time its
 * poll() returned it minus the record's CreateTime (set by send(), same machine clock). Writes "value,latencyMs"
 * lines to --out; the harness applies the same warm-up and percentiles as to the services.
 *
 * Run with the source launcher: java -cp '.run/kafka-jars/*' bench/clients/JavaPacedLatency.java --bootstrap-server
 * HOSTS --topic T --rate R --seconds S --out FILE [--linger-ms MS]
 */
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class JavaPacedLatency {
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    for (String required : List.of("bootstrap-server", "topic", "rate", "seconds", "out")) {
      if (!args.containsKey(required)) {
        System.err.println("missing --" + required + "; usage: --bootstrap-server HOSTS --topic T --rate R"
            + " --seconds S --out FILE [--linger-ms MS]");
        System.exit(2);
      }
    }
    String bootstrap = args.get("bootstrap-server");
    String topic = args.get("topic");
    int rate = Integer.parseInt(args.get("rate"));
    int seconds = Integer.parseInt(args.get("seconds"));
    Path out = Path.of(args.get("out"));
    int total = rate * seconds;

    Properties consumerProps = new Properties();
    consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    long[] latencies = new long[total];
    Arrays.fill(latencies, -1);
    AtomicLong received = new AtomicLong();
    AtomicReference<Throwable> consumerFailure = new AtomicReference<>();
    // Set once the producer has flushed; the reader then gives the last values 30 s (interrupting poll() would throw).
    AtomicLong producedAt = new AtomicLong();

    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition()))
          .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      for (TopicPartition partition : partitions) consumer.position(partition); // resolve before the first send

      Thread reader = new Thread(() -> {
        try {
          while (received.get() < total
              && (producedAt.get() == 0 || System.currentTimeMillis() < producedAt.get() + 30_000)) {
            var records = consumer.poll(Duration.ofMillis(100));
            long now = System.currentTimeMillis();
            for (ConsumerRecord<byte[], byte[]> record : records) {
              int value = (int) ByteBuffer.wrap(record.value()).getLong();
              if (value >= 0 && value < total && latencies[value] < 0) {
                latencies[value] = now - record.timestamp();
                received.incrementAndGet();
              }
            }
          }
        } catch (Throwable failure) {
          consumerFailure.set(failure);
        }
      });
      reader.start();

      Properties producerProps = new Properties();
      producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      if (args.containsKey("linger-ms")) producerProps.put(ProducerConfig.LINGER_MS_CONFIG, args.get("linger-ms"));
      System.out.println("{\"event\":\"ready\"}");
      AtomicReference<Exception> sendFailure = new AtomicReference<>();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps)) {
        long started = System.nanoTime();
        for (int value = 0; value < total; value++) {
          // The producer service's pacing: each value at its slot since the start, sleeping whole milliseconds.
          long aheadNanos = started + (long) value * 1_000_000_000L / rate - System.nanoTime();
          if (aheadNanos >= 1_000_000) Thread.sleep(aheadNanos / 1_000_000);
          byte[] bytes = ByteBuffer.allocate(8).putLong(value).array();
          producer.send(new ProducerRecord<>(topic, bytes), (metadata, error) -> {
            if (error != null) sendFailure.compareAndSet(null, error);
          });
        }
        producer.flush();
      }
      producedAt.set(System.currentTimeMillis());
      reader.join();
      if (sendFailure.get() != null) throw sendFailure.get();
      if (consumerFailure.get() != null) throw new RuntimeException(consumerFailure.get());
    }

    try (PrintWriter writer = new PrintWriter(Files.newBufferedWriter(out))) {
      for (int value = 0; value < total; value++) {
        if (latencies[value] >= 0) writer.println(value + "," + latencies[value]);
      }
    }
    System.out.println("{\"event\":\"done\",\"received\":" + received.get() + ",\"total\":" + total + "}");
  }
}
