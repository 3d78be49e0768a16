// Small admin helper for deploy/local/cluster.sh: one JVM start does every metadata step the script
// needs (a JVM start costs ~1 s on this machine, so chaining Kafka's own CLI tools would cost several).
// Compiled by cluster.sh into .run/kafka-helper/ against the jars in .run/kafka-jars/.
//
//   java ClusterAdmin --bootstrap HOST:PORT,... STEP [STEP ...]
//     wait-brokers IDS TIMEOUT_MS                 until every broker id in IDS (e.g. 1,2,3) is registered and unfenced
//     ensure-topic NAME PARTITIONS RF MIN_ISR     create the topic unless it exists, then verify it (exit 1 on mismatch)
//     ensure-room DLQ INPUT EXTRA                 raise DLQ's max.message.bytes to at least INPUT's plus EXTRA bytes
//     wait-isr TIMEOUT_MS                         until no partition of any topic is under-replicated or leaderless
//     wait-balanced TIMEOUT_MS                    wait-isr, then until each partition is led by its preferred replica
//                                                 (elected here: the cluster's leaders as before a broker restart)
//     ensure-scram-user USER PASSWORD             upsert the user's SCRAM-SHA-256 and SCRAM-SHA-512 credentials
//     group-config GROUP KEY=VALUE[,KEY=VALUE]    set a group's dynamic configs (e.g. a share group's
//                                                 share.auto.offset.reset=earliest), then print them
//
// Every step prints one line to stdout; errors print one line to stderr and exit 1.

import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

public final class ClusterAdmin {
    static final class Failure extends RuntimeException {
        Failure(String msg) { super(msg); }
    }

    public static void main(String[] args) {
        String bootstrap = "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096";
        int i = 0;
        if (args.length >= 2 && args[0].equals("--bootstrap")) { bootstrap = args[1]; i = 2; }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "cluster-sh");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "100");
        p.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "100");
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        int code = 0;
        try (Admin admin = Admin.create(p)) {
            while (i < args.length) {
                String step = args[i++];
                switch (step) {
                    case "wait-brokers":
                        waitBrokers(admin, parseIds(args[i]), Long.parseLong(args[i + 1]));
                        i += 2;
                        break;
                    case "ensure-topic":
                        ensureTopic(admin, args[i], Integer.parseInt(args[i + 1]),
                                Short.parseShort(args[i + 2]), Integer.parseInt(args[i + 3]));
                        i += 4;
                        break;
                    case "ensure-room":
                        ensureRoom(admin, args[i], args[i + 1], Integer.parseInt(args[i + 2]));
                        i += 3;
                        break;
                    case "wait-isr":
                        waitIsr(admin, Long.parseLong(args[i]), false);
                        i += 1;
                        break;
                    case "wait-balanced":
                        waitIsr(admin, Long.parseLong(args[i]), true);
                        i += 1;
                        break;
                    case "ensure-scram-user":
                        ensureScramUser(admin, args[i], args[i + 1]);
                        i += 2;
                        break;
                    case "group-config":
                        groupConfig(admin, args[i], args[i + 1]);
                        i += 2;
                        break;
                    default:
                        throw new Failure("unknown step '" + step + "'");
                }
            }
        } catch (Failure f) {
            System.err.println("[cluster] error: " + f.getMessage());
            code = 1;
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            System.err.println("[cluster] error: bad arguments: " + e.getMessage());
            code = 2;
        }
        System.exit(code);
    }

    // Credentials live in the cluster metadata (KRaft), so this is an upsert that survives restarts; the broker
    // turns the password into salted SCRAM keys and never stores it.
    static void groupConfig(Admin admin, String group, String settings) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        List<AlterConfigOp> ops = new ArrayList<>();
        for (String setting : settings.split(",")) {
            int eq = setting.indexOf('=');
            if (eq <= 0) throw new Failure("group-config: expected KEY=VALUE, got '" + setting + "'");
            ops.add(new AlterConfigOp(new ConfigEntry(setting.substring(0, eq), setting.substring(eq + 1)),
                    AlterConfigOp.OpType.SET));
        }
        try {
            admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new Failure("group " + group + ": " + e.getCause().getMessage());
        } catch (Exception e) {
            throw new Failure("group " + group + ": " + e);
        }
        System.out.println("group " + group + ": " + settings.replace(",", ", "));
    }

    static void ensureScramUser(Admin admin, String user, String password) {
        // One request per mechanism: a request may alter a user's credentials only once.
        for (ScramMechanism mechanism : List.of(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512)) {
            UserScramCredentialAlteration upsert =
                    new UserScramCredentialUpsertion(user, new ScramCredentialInfo(mechanism, 8192), password);
            try {
                admin.alterUserScramCredentials(List.of(upsert)).all().get(15, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new Failure("could not set the " + mechanism + " credentials of user " + user + ": " + why(e));
            }
        }
        System.out.println("SCRAM user " + user + " ready (SCRAM-SHA-256, SCRAM-SHA-512)");
    }

    static Set<Integer> parseIds(String csv) {
        Set<Integer> ids = new TreeSet<>();
        for (String s : csv.split(",")) ids.add(Integer.parseInt(s.trim()));
        return ids;
    }

    static String why(Throwable e) {
        Throwable c = (e instanceof ExecutionException && e.getCause() != null) ? e.getCause() : e;
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }

    static void sleep(long ms) {
        try { Thread.sleep(ms); } catch (InterruptedException e) { Thread.currentThread().interrupt(); throw new Failure("interrupted"); }
    }

    static Set<Integer> liveBrokers(Admin admin, int timeoutMs) throws Exception {
        Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
                .nodes().get(timeoutMs + 500L, TimeUnit.MILLISECONDS);
        Set<Integer> ids = new TreeSet<>();
        for (Node n : nodes) ids.add(n.id());
        return ids;
    }

    static void waitBrokers(Admin admin, Set<Integer> want, long timeoutMs) {
        long start = System.nanoTime(), deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String last = "no answer yet";
        while (true) {
            try {
                Set<Integer> live = liveBrokers(admin, 3000);
                if (live.containsAll(want)) {
                    System.out.printf("brokers %s registered and unfenced (live: %s) after %d ms%n",
                            want, live, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    return;
                }
                last = "live brokers " + live;
            } catch (Exception e) {
                last = why(e);
            }
            if (System.nanoTime() > deadline)
                throw new Failure("brokers " + want + " not all registered after " + timeoutMs + " ms (" + last + ")");
            sleep(200);
        }
    }

    static TopicDescription describe(Admin admin, String name) throws Exception {
        return admin.describeTopics(List.of(name)).allTopicNames().get(10, TimeUnit.SECONDS).get(name);
    }

    static void ensureTopic(Admin admin, String name, int partitions, short rf, int minIsr) {
        String created = "exists";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // create (idempotent: TopicExistsException means someone already made it)
        while (true) {
            try {
                NewTopic t = new NewTopic(name, partitions, rf)
                        .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minIsr)));
                admin.createTopics(List.of(t)).all().get(15, TimeUnit.SECONDS);
                created = "created";
                break;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) break;
                if (System.nanoTime() > deadline) throw new Failure("cannot create topic " + name + ": " + why(e));
                sleep(300);
            } catch (Exception e) {
                if (System.nanoTime() > deadline) throw new Failure("cannot create topic " + name + ": " + why(e));
                sleep(300);
            }
        }
        // verify (retry: a just-created topic may not have reached every broker's metadata yet)
        String last = "";
        while (true) {
            try {
                TopicDescription d = describe(admin, name);
                int n = d.partitions().size();
                if (n != partitions)
                    throw new Failure("topic " + name + " exists with " + n + " partitions, wanted " + partitions
                            + " (choose another name, delete the topic, or `cluster.sh reset`)");
                int isr = 0, replicas = 0;
                boolean leaders = true;
                for (TopicPartitionInfo pi : d.partitions()) {
                    if (pi.replicas().size() != rf)
                        throw new Failure("topic " + name + " partition " + pi.partition() + " has replication factor "
                                + pi.replicas().size() + ", wanted " + rf);
                    replicas += pi.replicas().size();
                    isr += pi.isr().size();
                    if (pi.leader() == null || pi.leader().isEmpty()) leaders = false;
                }
                ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, name);
                Config cfg = admin.describeConfigs(List.of(res)).all().get(10, TimeUnit.SECONDS).get(res);
                ConfigEntry e = cfg.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
                String have = e == null ? "?" : e.value();
                if (!Integer.toString(minIsr).equals(have)) {
                    // a config is safe to fix in place
                    admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
                            new ConfigEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minIsr)),
                            AlterConfigOp.OpType.SET)))).all().get(10, TimeUnit.SECONDS);
                    System.out.printf("topic %s: min.insync.replicas was %s, set to %d%n", name, have, minIsr);
                    have = Integer.toString(minIsr);
                }
                if (!leaders) {
                    last = "some partitions have no leader yet";
                } else {
                    System.out.printf("topic %s %s: %d partitions, replication factor %d, min.insync.replicas=%s, in-sync replicas %d/%d, id %s%n",
                            name, created, n, rf, have, isr, replicas, d.topicId());
                    return;
                }
            } catch (Failure f) {
                throw f;
            } catch (Exception ex) {
                last = why(ex);
            }
            if (System.nanoTime() > deadline) throw new Failure("cannot verify topic " + name + ": " + last);
            sleep(200);
        }
    }

    static String topicConfig(Admin admin, String topic, String key) throws Exception {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        ConfigEntry e = admin.describeConfigs(List.of(res)).all().get(10, TimeUnit.SECONDS).get(res).get(key);
        if (e == null || e.value() == null) throw new Failure("topic " + topic + " reports no " + key);
        return e.value();
    }

    // A dead letter is the input record plus the dlq.* headers: the dead-letter topic must take a record at the
    // input topic's size limit (max.message.bytes, the broker's default unless the topic sets it) plus EXTRA.
    // Raising a topic's limit is safe to do in place; a larger one is left as it is.
    static void ensureRoom(Admin admin, String dlq, String input, int extra) {
        try {
            long inputMax = Long.parseLong(topicConfig(admin, input, TopicConfig.MAX_MESSAGE_BYTES_CONFIG));
            long have = Long.parseLong(topicConfig(admin, dlq, TopicConfig.MAX_MESSAGE_BYTES_CONFIG));
            long want = Math.min(Integer.MAX_VALUE, inputMax + extra);
            if (have >= want) {
                System.out.printf("topic %s: max.message.bytes %d, room for %s's %d plus %d%n", dlq, have, input, inputMax, extra);
                return;
            }
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, dlq);
            admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Long.toString(want)),
                    AlterConfigOp.OpType.SET)))).all().get(10, TimeUnit.SECONDS);
            System.out.printf("topic %s: max.message.bytes was %d, set to %d (%s's %d plus %d)%n", dlq, have, want, input, inputMax, extra);
        } catch (Failure f) {
            throw f;
        } catch (Exception e) {
            throw new Failure("cannot make room in " + dlq + " for " + input + "'s records: " + why(e));
        }
    }

    static void electPreferred(Admin admin, Set<TopicPartition> partitions) {
        try {
            admin.electLeaders(ElectionType.PREFERRED, partitions).all().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Refused for a partition whose preferred replica fell behind again, say: the wait asks again.
        }
    }

    static void waitIsr(Admin admin, long timeoutMs, boolean preferredLeaders) {
        long start = System.nanoTime(), deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        String last = "";
        while (true) {
            try {
                Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(10, TimeUnit.SECONDS);
                Map<String, TopicDescription> all = names.isEmpty() ? Map.of()
                        : admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
                int total = 0, under = 0, leaderless = 0;
                Set<TopicPartition> notPreferred = new HashSet<>();
                for (TopicDescription d : all.values()) {
                    for (TopicPartitionInfo pi : d.partitions()) {
                        total++;
                        if (pi.leader() == null || pi.leader().isEmpty()) leaderless++;
                        else if (preferredLeaders && pi.leader().id() != pi.replicas().get(0).id())
                            notPreferred.add(new TopicPartition(d.name(), pi.partition()));
                        if (pi.isr().size() < pi.replicas().size()) under++;
                    }
                }
                if (under == 0 && leaderless == 0 && notPreferred.isEmpty()) {
                    System.out.printf("all %d partitions of %d topic(s) fully in sync%s after %d ms%n", total, all.size(),
                            preferredLeaders ? " and led by their preferred replicas" : "",
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    return;
                }
                // A restarted broker leads nothing until the controller's periodic preferred-leader election (every
                // 5 minutes) hands its partitions back, group coordinators among them: at a moment nobody chose, in
                // the middle of whatever runs then. Elected now, the next test starts on the cluster it expects.
                if (under == 0 && leaderless == 0) electPreferred(admin, notPreferred);
                last = under + " under-replicated, " + leaderless + " leaderless and " + notPreferred.size()
                        + " not led by their preferred replica, of " + total + " partitions";
            } catch (Exception e) {
                last = why(e);
            }
            if (System.nanoTime() > deadline) throw new Failure("not in sync after " + timeoutMs + " ms: " + last);
            sleep(250);
        }
    }
}
