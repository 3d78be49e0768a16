// The peer of the ordering bench: Confluent's Parallel Consumer in KEY order, its handler waiting 5 ms per record
// like ours. Prints {"event":"progress","count":N,"at":ms} every 250 ms and exits once `count` records are done.
// Run with the source launcher: java -cp <classpath> ParallelConsumerBench.java <bootstrap> <topic> <group> <count>
// <maxConcurrency> <delayMs>
import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelStreamProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class ParallelConsumerBench {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    long count = Long.parseLong(args[3]);
    int maxConcurrency = Integer.parseInt(args[4]);
    long delayMs = Long.parseLong(args[5]);

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    // The Parallel Consumer commits itself; it refuses a consumer that auto-commits.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);

    ParallelConsumerOptions<byte[], byte[]> options =
        ParallelConsumerOptions.<byte[], byte[]>builder()
            .ordering(ParallelConsumerOptions.ProcessingOrder.KEY)
            .maxConcurrency(maxConcurrency)
            .commitMode(ParallelConsumerOptions.CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
            .consumer(consumer)
            .build();
    ParallelStreamProcessor<byte[], byte[]> processor =
        ParallelStreamProcessor.createEosStreamProcessor(options);
    processor.subscribe(List.of(topic));

    AtomicLong done = new AtomicLong();
    processor.poll(
        context -> {
          try {
            Thread.sleep(delayMs);
          } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(interrupted);
          }
          done.addAndGet(context.size());
        });

    while (done.get() < count) {
      System.out.println(
          "{\"event\":\"progress\",\"count\":" + done.get() + ",\"at\":" + System.currentTimeMillis() + "}");
      System.out.flush();
      Thread.sleep(250);
    }
    System.out.println(
        "{\"event\":\"progress\",\"count\":" + done.get() + ",\"at\":" + System.currentTimeMillis() + "}");
    System.out.flush();
    processor.closeDrainFirst(Duration.ofSeconds(30));
  }
}
