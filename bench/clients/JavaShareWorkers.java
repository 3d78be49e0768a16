/*
 * Kafka's own share consumer (KafkaShareConsumer, KIP-932) doing the share-group bench's work: the peer of
 * kafka-fleet's share worker at the same member count (bench/share-groups.ts).
 *
 * One JVM, --members threads; each thread is one member with its own KafkaShareConsumer and its own producer, as
 * each kafka-fleet member is a process with its own clients. A member polls (max.poll.records as given), waits
 * --delay-ms per record one after another (the slow handler), sends each value to --results, flushes, and then
 * polls again: in the implicit acknowledgement mode that poll accepts the records of the previous one, so a
 * record is accepted only once its result is acknowledged, as kafka-fleet's worker does. Runs until SIGTERM;
 * prints {"event":"ready"} once every member has subscribed, {"event":"processed","processed":[...]} (records
 * per member so far) every second, and {"event":"done","processed":[...]} at the end.
 *
 * Run with the source launcher: java -cp '.run/kafka-jars/*' bench/clients/JavaShareWorkers.java
 * --bootstrap-server HOSTS --topic T --results R --group G --members N [--delay-ms 20] [--max-poll-records 10]
 */
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class JavaShareWorkers {
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    for (String required : List.of("bootstrap-server", "topic", "results", "group", "members")) {
      if (!args.containsKey(required)) {
        System.err.println("missing --" + required + "; usage: --bootstrap-server HOSTS --topic T --results R"
            + " --group G --members N [--delay-ms 20] [--max-poll-records 10]");
        System.exit(2);
      }
    }
    String bootstrap = args.get("bootstrap-server");
    String topic = args.get("topic");
    String results = args.get("results");
    int members = Integer.parseInt(args.get("members"));
    long delayMs = Long.parseLong(args.getOrDefault("delay-ms", "20"));
    String maxPollRecords = args.getOrDefault("max-poll-records", "10");

    AtomicBoolean stopping = new AtomicBoolean();
    AtomicLongArray processed = new AtomicLongArray(members);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch subscribed = new CountDownLatch(members);
    List<KafkaShareConsumer<byte[], byte[]>> consumers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();

    for (int member = 0; member < members; member++) {
      Properties consumerProps = new Properties();
      consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, args.get("group"));
      consumerProps.put(ConsumerConfig.CLIENT_ID_CONFIG, "java-share-" + member);
      consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
      KafkaShareConsumer<byte[], byte[]> consumer =
          new KafkaShareConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      consumers.add(consumer);
      Properties producerProps = new Properties();
      producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "java-share-output-" + member);
      KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
      int index = member;
      Thread thread = new Thread(() -> {
        try (producer) {
          consumer.subscribe(List.of(topic));
          subscribed.countDown();
          while (!stopping.get()) {
            var records = consumer.poll(Duration.ofMillis(500));
            for (ConsumerRecord<byte[], byte[]> record : records) {
              Thread.sleep(delayMs);
              producer.send(new ProducerRecord<>(results, record.value()));
            }
            producer.flush();
            processed.addAndGet(index, records.count());
          }
          // The last poll's records are done: accept them before leaving the group.
          consumer.commitSync(Duration.ofSeconds(5));
        } catch (WakeupException | InterruptedException stopped) {
          // SIGTERM while polling or sleeping: close() below releases what this member still holds.
        } catch (Throwable error) {
          failure.compareAndSet(null, error);
        } finally {
          consumer.close(Duration.ofSeconds(5));
        }
      }, "member-" + member);
      threads.add(thread);
    }

    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.set(true);
      try {
        for (Thread thread : threads) thread.join(15_000);
      } catch (InterruptedException ignored) {
        // Exiting anyway.
      }
      System.out.println("{\"event\":\"done\",\"processed\":" + processed
          + (failure.get() == null ? "" : ",\"error\":\"" + failure.get().toString().replace("\"", "'") + "\"")
          + "}");
      System.out.flush();
      done.countDown();
    }));
    for (Thread thread : threads) thread.start();
    subscribed.await();
    System.out.println("{\"event\":\"ready\",\"members\":" + members + "}");
    System.out.flush();
    Thread reporter = new Thread(() -> {
      while (!stopping.get()) {
        System.out.println("{\"event\":\"processed\",\"processed\":" + processed + "}");
        System.out.flush();
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException stopped) {
          return;
        }
      }
    });
    reporter.setDaemon(true);
    reporter.start();
    for (Thread thread : threads) thread.join();
    done.await();
  }
}
