#!/usr/bin/env bash
# Local 3-node Apache Kafka cluster (KRaft, combined broker+controller) run as plain JVM processes.
#
#   cluster.sh up                  start what is not running, wait until all 3 brokers serve, ensure the input
#                                  topic, wait until every partition is fully in sync
#   cluster.sh down                SIGTERM every node (controlled shutdown), wait, SIGKILL after KAFKA_STOP_TIMEOUT_S
#   cluster.sh status              one line per node; exit 0 only when all 3 run and serve (no JVM started: ~30 ms)
#   cluster.sh topics NAME [PARTS] a worker's topics: NAME, NAME.dlq and NAME.results (`make topic TOPIC=NAME`)
#   cluster.sh topic NAME [PARTS]  one topic; both create idempotently (RF 3, min.insync.replicas=2) and verify
#   cluster.sh group-config GROUP KEY=VALUE[,KEY=VALUE]
#                                  set a group's dynamic configs, e.g. a share group's share.auto.offset.reset=earliest,
#                                  share.record.lock.duration.ms, share.delivery.count.limit (docs/design.md)
#   cluster.sh reset               down, then wipe the cluster data (the jar cache is kept)
#   cluster.sh logs N              print the tail of node N's log
# For fault tests:
#   cluster.sh kill N              SIGKILL node N (1..3)
#   cluster.sh stop N              SIGTERM node N (controlled shutdown) and wait, for rolling restarts
#   cluster.sh freeze N            SIGSTOP node N: alive to the network, answering nothing (a GC pause, a hung disk)
#   cluster.sh thaw N              SIGCONT node N after a freeze
#   cluster.sh start N             start node N and wait until it is registered and serving
#   cluster.sh wait-isr [SECONDS]  wait until no partition is under-replicated (e.g. after `start N`)
#   cluster.sh wait-balanced [SECONDS]  wait-isr, then elect each partition's preferred replica its leader again:
#                                  the leaders (group coordinators too) as before the fault, not moved back minutes
#                                  later by the controller in the middle of another test
#
# Nodes 1,2,3: brokers 127.0.0.1:9092/9094/9096, controllers :9093/:9095/:9097, and a SASL/SCRAM listener on
# :9192/:9194/:9196 (SASL_PLAINTEXT, SCRAM-SHA-256 and -512, user "fleet", password "fleet-secret": local only) so
# that the services' KAFKA_CLIENT_* settings are tested against a real authenticating broker; a SASL/OAUTHBEARER one
# on :9193/:9195/:9197 (Kafka's unsecured JWT validator: any unsigned token with a sub, test only) for the token
# providers of libs/kafka. A PROXIED listener on
# :9292/:9294/:9296 is advertised as :9392/:9394/:9396, where the chaos suite's fault proxy listens when it runs.
# KAFKA_PORT_BASE (9092) moves them all (deploy/local/ports.sh): a second checkout's cluster runs beside the first.
# State lives in <repo>/.run/kafka (git-ignored), jars in <repo>/.run/kafka-jars (fetched by Maven from pom.xml).
#
# Environment: KAFKA_PORT_BASE (9092), KAFKA_TOPIC (topic_app), TOPIC_PARTITIONS (6), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m),
#   KAFKA_WAIT_TIMEOUT_S (90), KAFKA_STOP_TIMEOUT_S (30), JAVA_HOME (optional; else java on PATH).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
RUN="$REPO/.run"
JARS="$RUN/kafka-jars"
HELPER_DIR="$RUN/kafka-helper"
DATA="$RUN/kafka"
POM="$HERE/pom.xml"

KAFKA_VERSION=4.3.1
NODES=(1 2 3)
TOPIC="${KAFKA_TOPIC:-topic_app}"
PARTITIONS="${TOPIC_PARTITIONS:-6}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
WAIT_TIMEOUT_S="${KAFKA_WAIT_TIMEOUT_S:-90}"
STOP_TIMEOUT_S="${KAFKA_STOP_TIMEOUT_S:-30}"
# Checked before any arithmetic sees them: bash evaluates a variable's text inside $(( )), command substitutions
# included. A bad value is a configuration error (exit 2).
for setting in KAFKA_WAIT_TIMEOUT_S="$WAIT_TIMEOUT_S" KAFKA_STOP_TIMEOUT_S="$STOP_TIMEOUT_S"; do
  [[ "${setting#*=}" =~ ^[0-9]{1,6}$ ]] || {
    printf '[cluster] error: %s="%s": expected whole seconds, e.g. 90\n' "${setting%%=*}" "${setting#*=}" >&2
    exit 2
  }
done
# shellcheck source=deploy/local/ports.sh
source "$HERE/ports.sh"
# Room for the dlq.* headers a dead letter adds to its record (docs/design.md, Topics).
DLQ_HEADROOM_BYTES=65536
VOTERS="1@127.0.0.1:$(controller_port 1),2@127.0.0.1:$(controller_port 2),3@127.0.0.1:$(controller_port 3)"
BOOTSTRAP="$LOCAL_BOOTSTRAP"

T0=$(date +%s%N)

# ---------------------------------------------------------------- output helpers
say() { printf '[cluster] %s\n' "$*"; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }
elapsed() { local ms=$(( ($(date +%s%N) - T0) / 1000000 )); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }

# ---------------------------------------------------------------- per-node facts
# broker_port N, controller_port N, sasl_port N, proxied_port N, proxy_port N: deploy/local/ports.sh
SCRAM_USER=fleet
SCRAM_PASSWORD=fleet-secret
node_dir() { echo "$DATA/node-$1"; }
pid_file() { echo "$DATA/node-$1/kafka.pid"; }

check_node_arg() {
  [[ "${1:-}" =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')"
}

# pid of node N if its process is alive and really is our Kafka node; empty otherwise
node_pid() {
  local f pid
  f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 0
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  if grep -qF -- "kafka.Kafka $(node_dir "$1")/server.properties" <(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null); then
    echo "$pid"
  fi
}

# true when something accepts TCP connections on 127.0.0.1:PORT
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# true when FILE has a line containing TEXT after byte offset OFF (no `| grep -q`: with pipefail, the early exit
# of grep -q makes tail die of SIGPIPE and the pipeline fail)
log_since() {
  grep -qF -- "$3" <(tail -c +"$(($2 + 1))" "$1")
}

# true when node N's current run has finished starting (broker unfenced, serving) and its port accepts connections
node_serving() {
  local dir off=0 f
  dir="$(node_dir "$1")"; f="$dir/server.log"
  port_open "$(broker_port "$1")" || return 1
  [[ -f "$dir/launch-offset" ]] && off="$(<"$dir/launch-offset")"
  [[ -f "$f" ]] || return 1
  if (( $(stat -c %s "$f") >= off )); then
    log_since "$f" "$off" 'Kafka Server started'
  else  # log rolled over since the start
    return 0
  fi
}

# who holds a listening port (best effort, for error messages)
port_holder() {
  local out=""
  if command -v ss >/dev/null 2>&1; then
    out="$(ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -1 || true)"
  fi
  echo "${out:-an unknown process}"
}

# ---------------------------------------------------------------- tools
find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"; JAVAC="$JAVA_HOME/bin/javac"
  elif command -v java >/dev/null 2>&1; then
    JAVA="$(command -v java)"; JAVAC="$(command -v javac || echo "")"
  else
    die "java not found (need Java 17+ on PATH or JAVA_HOME); e.g. apt-get install openjdk-17-jdk-headless"
  fi
  local v
  v="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${v%%.*}" =~ ^[0-9]+$ && "${v%%.*}" -ge 17 ]] || die "Kafka $KAFKA_VERSION needs Java 17+, found '$v' at $JAVA"
}

pom_hash() { sha256sum "$POM" | cut -c1-16; }

# fetch the jars once; refetch when pom.xml changes
ensure_jars() {
  local stamp
  stamp="$JARS/.stamp-$(pom_hash)"
  [[ -f "$stamp" ]] && return 0
  if [[ -d "$JARS" && "$(count_running)" != 0 ]]; then
    die "deploy/local/pom.xml changed while nodes run from the old jars; run 'cluster.sh down' first"
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka $KAFKA_VERSION jars); e.g. apt-get install maven"
  say "fetching Kafka $KAFKA_VERSION jars with Maven into ${JARS#"$REPO"/} ..."
  local tmp="$RUN/kafka-jars.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    tail -n 20 "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "Maven could not fetch the Kafka jars (see above)"
  fi
  rm -f "$tmp.log"
  rm -rf "$JARS"; mv "$tmp" "$JARS"
  touch "$JARS/.stamp-$(pom_hash)"
  local jars=("$JARS"/*.jar)
  say "jars ready: ${#jars[@]} files ($(elapsed))"
}

# compile the admin helper once (keyed on its source and the jar set). javac when there is a JDK; on a
# JRE-only machine, the Eclipse compiler (one jar, fetched once with Maven).
ECJ_ARTIFACT=org.eclipse.jdt:ecj:3.40.0
ensure_helper() {
  local key stamp compiler ecj_dir="$RUN/kafka-ecj"
  key="$(cat "$HERE/ClusterAdmin.java" "$POM" | sha256sum | cut -c1-16)"
  stamp="$HELPER_DIR/.stamp-$key"
  [[ -f "$stamp" ]] && return 0
  rm -rf "$HELPER_DIR"; mkdir -p "$HELPER_DIR"
  local cp="$JARS/kafka-clients-$KAFKA_VERSION.jar"
  if [[ -n "$JAVAC" && -x "$JAVAC" ]]; then
    compiler=javac
    "$JAVAC" --release 17 -nowarn -cp "$cp" -d "$HELPER_DIR" "$HERE/ClusterAdmin.java" \
      || die "could not compile deploy/local/ClusterAdmin.java"
  else
    compiler="ecj (no javac found)"
    local ecj="$ecj_dir/ecj-${ECJ_ARTIFACT##*:}.jar"
    if [[ ! -f "$ecj" ]]; then
      command -v mvn >/dev/null 2>&1 || die "no javac and no mvn: install a JDK (e.g. openjdk-17-jdk-headless) or maven"
      mvn -q -B -f "$POM" dependency:copy -Dartifact="$ECJ_ARTIFACT" -DoutputDirectory="$ecj_dir" >/dev/null 2>&1 \
        || die "no javac, and Maven could not fetch the Eclipse compiler $ECJ_ARTIFACT"
    fi
    "$JAVA" -jar "$ecj" -17 -nowarn -proc:none -cp "$cp" -d "$HELPER_DIR" "$HERE/ClusterAdmin.java" \
      || die "could not compile deploy/local/ClusterAdmin.java"
  fi
  touch "$stamp"
  say "compiled the admin helper deploy/local/ClusterAdmin.java with $compiler"
}

# short-lived JVMs: start fast, stay small, log only errors
TOOL_OPTS=(-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto
           "-Dlog4j2.configurationFile=$HERE/log4j2-tools.xml")

admin() {
  "$JAVA" "${TOOL_OPTS[@]}" -cp "$HELPER_DIR:$JARS/*" ClusterAdmin --bootstrap "$BOOTSTRAP" "$@"
}

prepare() {
  find_java
  ensure_jars
  ensure_helper
}

# ---------------------------------------------------------------- configuration
# one function writes every node's server.properties
write_props() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  mkdir -p "$dir/data"
  cat >"$dir/server.properties.tmp" <<EOF
# generated by deploy/local/cluster.sh; edits are overwritten on the next start
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$VOTERS
listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n"),SASL_PLAINTEXT://127.0.0.1:$(sasl_port "$n"),OAUTH://127.0.0.1:$(oauth_port "$n"),PROXIED://127.0.0.1:$(proxied_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),SASL_PLAINTEXT://127.0.0.1:$(sasl_port "$n"),OAUTH://127.0.0.1:$(oauth_port "$n"),PROXIED://127.0.0.1:$(proxy_port "$n")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,OAUTH:SASL_PLAINTEXT,PROXIED:PLAINTEXT
# PROXIED: for clients only, advertised at the fault proxy's port (see proxy_port); brokers and controllers talk
# to each other directly, so a fault injected there is between clients and brokers only.
# SASL/SCRAM for clients only (brokers talk PLAINTEXT among themselves); users are created by \`up\` through the
# Admin API and kept in the cluster metadata. No authorizer: an authenticated user may do anything.
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
# OAUTH: SASL/OAUTHBEARER for clients only, validated by Kafka's unsecured JWT validator (the default without a
# server callback handler): any unsigned JWT (alg none) with a sub and an unexpired exp is let in. A test-only
# listener for a token provider's tests (test/integration/oauthbearer.test.ts); local only, like SCRAM's.
listener.name.oauth.sasl.enabled.mechanisms=OAUTHBEARER
listener.name.oauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

num.partitions=6
default.replication.factor=3
min.insync.replicas=2
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
# Share groups (KIP-932) are on by default since Kafka 4.2 (feature share.version=1 on a new cluster). Broker-wide
# defaults of a share group's record lock and delivery limit, as Kafka's own; a group overrides them with
# share.record.lock.duration.ms and share.delivery.count.limit (cluster.sh group-config; docs/design.md).
group.share.record.lock.duration.ms=30000
group.share.delivery.count.limit=5

# a killed broker is fenced (its partitions get new leaders) after 6 s instead of 9 s: shorter write stalls
# in fault tests, and a shorter wait when a SIGKILLed node is started again
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000

# small machine: fewer threads and internal-topic partitions than the defaults
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
offsets.topic.num.partitions=12
transaction.state.log.num.partitions=12
share.coordinator.state.topic.num.partitions=12
EOF
  mv "$dir/server.properties.tmp" "$dir/server.properties"
}

ensure_cluster_id() {
  mkdir -p "$DATA"
  local f="$DATA/cluster-id" id
  if [[ ! -s "$f" ]]; then
    # same shape as Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe base64, no padding, not starting with '-'
    while :; do
      id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
      [[ "$id" != -* && ${#id} -eq 22 ]] && break
    done
    echo "$id" >"$f"
    say "generated cluster id $id"
  fi
  CLUSTER_ID="$(<"$f")"
}

# format node N's log dir once (StorageTool), in the background; caller waits
format_node() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  "$JAVA" "${TOOL_OPTS[@]}" -cp "$JARS/*" kafka.tools.StorageTool format \
    -t "$CLUSTER_ID" -c "$dir/server.properties" >"$dir/format.log" 2>&1
}

ensure_formatted() {
  local n pids=() todo=() meta have
  for n in "$@"; do
    meta="$(node_dir "$n")/data/meta.properties"
    if [[ -f "$meta" ]]; then
      have="$(sed -n 's/^cluster.id=//p' "$meta")"
      [[ "$have" == "$CLUSTER_ID" ]] || die "node $n data belongs to cluster '$have', not '$CLUSTER_ID' (run: cluster.sh reset)"
    else
      todo+=("$n")
    fi
  done
  ((${#todo[@]})) || return 0
  say "formatting node(s) ${todo[*]} for cluster $CLUSTER_ID ..."
  for n in "${todo[@]}"; do format_node "$n" & pids+=($!); done
  local i=0 failed=""
  for n in "${todo[@]}"; do
    wait "${pids[$i]}" || failed+=" $n"
    i=$((i + 1))
  done
  if [[ -n "$failed" ]]; then
    for n in $failed; do tail -n 5 "$(node_dir "$n")/format.log" >&2; done
    die "StorageTool format failed for node(s)$failed"
  fi
  say "formatted node(s) ${todo[*]} ($(elapsed))"
}

# ---------------------------------------------------------------- start / wait / stop
BROKER_JVM_OPTS=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
                 -XX:+ExplicitGCInvokesConcurrent -XX:MaxDirectMemorySize=256m -Djava.awt.headless=true
                 "-Dlog4j2.configurationFile=$HERE/log4j2-broker.xml")

# refuse to start when a port of node N is held by something that is not node N
check_ports_free() {
  local n=$1 p
  for p in "$(broker_port "$n")" "$(controller_port "$n")" "$(sasl_port "$n")" "$(oauth_port "$n")" "$(proxied_port "$n")"; do
    if port_open "$p"; then
      die "port $p (node $n) is in use by $(port_holder "$p"), which is not our node $n; stop it or free the port"
    fi
  done
}

# Class-data-sharing archive of the broker's classes: cuts a broker's JVM start by ~40% on this 2-core machine.
# When there is none yet, the first node launched records one at its next clean exit (`down`), into its own
# file; the next start validates it (-Xshare:on dry run) and promotes it. A stale archive is only ignored by
# the JVM (-Xshare:auto). KAFKA_CDS=0 turns this off.
cds_opts() {
  local n=$1 rec
  CDS_OPTS=()
  [[ "${KAFKA_CDS:-1}" == 1 ]] || return 0
  if [[ -z "${CDS_BASE:-}" ]]; then
    CDS_BASE="$JARS/broker-$("$JAVA" -version 2>&1 | sha256sum | cut -c1-12).jsa"
  fi
  if [[ ! -f "$CDS_BASE" ]]; then
    for rec in "$CDS_BASE".rec-node*; do
      [[ -s "$rec" && ! -f "$CDS_BASE" ]] || { rm -f "$rec"; continue; }
      if "$JAVA" -Xshare:on "-XX:SharedArchiveFile=$rec" -cp "$JARS/*" -version >/dev/null 2>&1; then
        mv "$rec" "$CDS_BASE"
      else
        rm -f "$rec"
      fi
    done
  fi
  if [[ -f "$CDS_BASE" ]]; then
    CDS_OPTS=(-Xshare:auto "-XX:SharedArchiveFile=$CDS_BASE" -Xlog:cds=off -Xlog:cds+dynamic=off)
  elif [[ -z "${CDS_RECORDING:-}" ]]; then
    CDS_RECORDING=1
    CDS_OPTS=("-XX:ArchiveClassesAtExit=$CDS_BASE.rec-node$n" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi
}

launch_node() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  rm -f "$(pid_file "$n")"
  stat -c %s "$dir/server.log" >"$dir/launch-offset" 2>/dev/null || echo 0 >"$dir/launch-offset"
  cds_opts "$n"
  # setsid: own session, so a Ctrl-C in the calling terminal does not reach the broker;
  # the inner shell writes its own pid and execs java, so the pid file holds the JVM's pid.
  # shellcheck disable=SC2086,SC2016 # HEAP_OPTS is a list of JVM flags; $$ is for the inner shell
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(pid_file "$n")" \
    "$JAVA" $HEAP_OPTS "${BROKER_JVM_OPTS[@]}" ${CDS_OPTS[@]+"${CDS_OPTS[@]}"} "-Dkafka.logs.dir=$dir" -Dkafka.fleet.node="$n" \
    -cp "$JARS/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/console.log" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 1 50); do [[ -s "$(pid_file "$n")" ]] && break; sleep 0.02; done
  say "node $n starting: pid $(<"$(pid_file "$n")"), broker 127.0.0.1:$(broker_port "$n"), controller 127.0.0.1:$(controller_port "$n")"
}

print_log_tail() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  if [[ -s "$dir/console.log" ]]; then
    echo "----- tail of ${dir#"$REPO"/}/console.log" >&2; tail -n 15 "$dir/console.log" >&2
  fi
  local off=0
  [[ -f "$dir/launch-offset" ]] && off="$(<"$dir/launch-offset")"
  if [[ -s "$dir/server.log" ]] && (( $(stat -c %s "$dir/server.log") > off )); then
    echo "----- tail of ${dir#"$REPO"/}/server.log (this start)" >&2
    tail -c +"$((off + 1))" "$dir/server.log" | tail -n 25 >&2
  fi
}

# wait until the broker ports of the given nodes accept connections; fail fast when a node dies
wait_ports() {
  local deadline=$(( $(date +%s) + WAIT_TIMEOUT_S )) n pending
  while :; do
    pending=()
    for n in "$@"; do
      if [[ -z "$(node_pid "$n")" ]]; then
        print_log_tail "$n"
        die "node $n died during start (log tail above)"
      fi
      port_open "$(broker_port "$n")" || pending+=("$n")
    done
    ((${#pending[@]})) || return 0
    (( $(date +%s) < deadline )) || die "node(s) ${pending[*]} not listening after ${WAIT_TIMEOUT_S}s (see .run/kafka/node-N/server.log)"
    sleep 0.1
  done
}

# after a failed admin step, name any node that died
explain_dead_nodes() {
  local n
  for n in "$@"; do
    if [[ -z "$(node_pid "$n")" ]]; then
      print_log_tail "$n"
      say "node $n is not running (log tail above)" >&2
    fi
  done
}

start_nodes() {   # start the given nodes (those not running) and wait until they serve
  local n started=()
  ensure_cluster_id
  for n in "$@"; do write_props "$n"; done
  local to_start=()
  for n in "$@"; do
    if [[ -n "$(node_pid "$n")" ]]; then
      say "node $n already running (pid $(node_pid "$n"))"
    else
      to_start+=("$n")
    fi
  done
  ((${#to_start[@]})) || return 0
  for n in "${to_start[@]}"; do check_ports_free "$n"; done
  ensure_formatted "${to_start[@]}"
  for n in "${to_start[@]}"; do launch_node "$n"; started+=("$n"); done
  wait_ports "${started[@]}"
  say "broker port(s) of node(s) ${started[*]} open ($(elapsed))"
}

# true when node N's broker half has finished shutting down since byte offset OFF of its log
# (what remains is the controller half, which always ends on its own within ~5 s)
broker_half_done() {
  local f size
  f="$(node_dir "$1")/server.log"
  [[ -f "$f" ]] || return 1
  size=$(stat -c %s "$f")
  if ((size >= $2)); then
    log_since "$f" "$2" 'Transition from SHUTTING_DOWN to SHUTDOWN (kafka.server.BrokerServer)'
  else  # log rolled over meanwhile
    grep -q 'Transition from SHUTTING_DOWN to SHUTDOWN (kafka.server.BrokerServer)' "$f"
  fi
}

count_running() {
  local n c=0
  for n in "${NODES[@]}"; do [[ -n "$(node_pid "$n")" ]] && c=$((c + 1)); done
  echo "$c"
}

# SIGTERM (controlled shutdown), bounded wait, then SIGKILL.
# A broker's controlled shutdown needs an active controller, i.e. 2 of the 3 controller halves alive. When a
# node is the only one left and its broker half is still waiting for that approval, it would wait 5 minutes
# (Kafka's built-in bound) for nothing: after a short grace it is SIGKILLed, and the script says so.
stop_nodes() {
  local n i pid pids=() names=() offs=() t_stop
  for n in "$@"; do
    pid="$(node_pid "$n")"
    if [[ -n "$pid" ]]; then
      offs+=("$(stat -c %s "$(node_dir "$n")/server.log" 2>/dev/null || echo 0)")
      pids+=("$pid"); names+=("$n")
    fi
  done
  if ((${#pids[@]} == 0)); then say "no node running"; return 0; fi
  # one kill(1) for all: the brokers then ask for controlled shutdown at the same moment and are approved
  # together, while all controller halves are still up
  kill -TERM "${pids[@]}" 2>/dev/null || true
  kill -CONT "${pids[@]}" 2>/dev/null || true # a frozen node (cluster.sh freeze) must see its SIGTERM
  t_stop=$(date +%s%N)
  for i in "${!pids[@]}"; do say "node ${names[$i]}: SIGTERM sent (pid ${pids[$i]}), controlled shutdown ..."; done
  local deadline=$(( $(date +%s) + STOP_TIMEOUT_S )) alive lone_since=0 reported=()
  while :; do
    alive=()
    for i in "${!pids[@]}"; do
      if kill -0 "${pids[$i]}" 2>/dev/null; then
        alive+=("$i")
      elif [[ -z "${reported[$i]:-}" ]]; then
        reported[i]=1
        say "node ${names[$i]} exited ($(( ($(date +%s%N) - t_stop) / 1000000 )) ms)"
      fi
    done
    ((${#alive[@]})) || break
    if (( $(date +%s) >= deadline )); then
      for i in "${alive[@]}"; do
        say "node ${names[$i]} still running after ${STOP_TIMEOUT_S}s: SIGKILL (pid ${pids[$i]})"
        kill -KILL "${pids[$i]}" 2>/dev/null || true
      done
      sleep 0.5
      break
    fi
    if ((${#alive[@]} == 1)) && [[ "$(count_running)" == 1 ]]; then
      i=${alive[0]}
      if broker_half_done "${names[$i]}" "${offs[$i]}"; then
        lone_since=0
      elif ((lone_since == 0)); then
        lone_since=$(date +%s%N)
      elif (( ($(date +%s%N) - lone_since) / 1000000 > 2000 )); then
        say "node ${names[$i]} cannot finish controlled shutdown: it is the last node, no controller quorum is left; SIGKILL (pid ${pids[$i]}; its next start waits ~6 s for the old broker session to expire)"
        kill -KILL "${pids[$i]}" 2>/dev/null || true; reported[i]=1
        lone_since=0
      fi
    fi
    sleep 0.1
  done
  for n in "${names[@]}"; do rm -f "$(pid_file "$n")"; done
  say "stopped node(s) ${names[*]} ($(elapsed))"
}

# ---------------------------------------------------------------- verbs
cmd_up() {
  prepare
  start_nodes "${NODES[@]}"
  # The input topic, its dead-letter topic (DLQ_TOPIC defaults to <KAFKA_TOPIC>.dlq) and the results topic the
  # docs use (RESULTS_TOPIC=topic_app.results); the SCRAM user of the SASL listener. The dead-letter topic takes a
  # record at the input topic's size limit plus DLQ_HEADROOM_BYTES of dlq.* headers.
  admin wait-brokers 1,2,3 $((WAIT_TIMEOUT_S * 1000)) ensure-topic "$TOPIC" "$PARTITIONS" 3 2 \
    ensure-topic "$TOPIC.dlq" "$PARTITIONS" 3 2 ensure-room "$TOPIC.dlq" "$TOPIC" "$DLQ_HEADROOM_BYTES" \
    ensure-topic "$TOPIC.results" "$PARTITIONS" 3 2 \
    ensure-scram-user "$SCRAM_USER" "$SCRAM_PASSWORD" wait-isr $((WAIT_TIMEOUT_S * 1000)) | sed 's/^/[cluster] /' || { explain_dead_nodes "${NODES[@]}"; die "cluster not ready"; }
  say "up: 3 nodes serving on $BOOTSTRAP (SASL/SCRAM on $LOCAL_SASL_BOOTSTRAP, SASL/OAUTHBEARER on $LOCAL_OAUTH_BOOTSTRAP), topics $TOPIC, $TOPIC.dlq and $TOPIC.results ready (total $(elapsed))"
}

cmd_down() {
  stop_nodes "${NODES[@]}"
}

cmd_status() {
  local n pid ok=0 state
  for n in "${NODES[@]}"; do
    pid="$(node_pid "$n")"
    if [[ -z "$pid" ]]; then
      state="stopped"
    elif node_serving "$n"; then
      state="running"; ok=$((ok + 1))
    else
      state="starting"
    fi
    printf 'node %d  pid %-7s  %-8s  broker 127.0.0.1:%d  controller 127.0.0.1:%d\n' \
      "$n" "${pid:--}" "$state" "$(broker_port "$n")" "$(controller_port "$n")"
  done
  ((ok == 3))
}

cmd_kill() {
  check_node_arg "${1:-}"
  local n=$1 pid
  pid="$(node_pid "$n")"
  if [[ -z "$pid" ]]; then say "node $n is not running"; return 0; fi
  kill -KILL "$pid"
  local i
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$(pid_file "$n")"
  say "node $n killed (SIGKILL, pid $pid)"
}

# SIGSTOP/SIGCONT node N: its sockets stay open but nothing answers, which clients only notice by timeouts.
cmd_signal() {
  local sig=$1 what=$2 n=${3:-} pid
  check_node_arg "$n"
  pid="$(node_pid "$n")"
  [[ -n "$pid" ]] || die "node $n is not running"
  kill "-$sig" "$pid"
  say "node $n $what (SIG$sig, pid $pid)"
}

cmd_stop() {
  check_node_arg "${1:-}"
  stop_nodes "$1"
}

cmd_start() {
  check_node_arg "${1:-}"
  local n=$1 m others=0
  for m in "${NODES[@]}"; do [[ $m != "$n" && -n "$(node_pid "$m")" ]] && others=$((others + 1)); done
  ((others > 0)) || die "no other node is running: node $n alone has no controller quorum (2 of 3 needed); use: cluster.sh up"
  prepare
  start_nodes "$n"
  admin wait-brokers "$n" $((WAIT_TIMEOUT_S * 1000)) | sed 's/^/[cluster] /' \
    || { explain_dead_nodes "$n"; die "node $n not serving"; }
  say "node $n serving (total $(elapsed))"
}

# cmd_wait_isr STEP [SECONDS]: STEP is wait-isr or wait-balanced.
cmd_wait_isr() {
  local step=$1 secs="${2:-$WAIT_TIMEOUT_S}"
  [[ "$secs" =~ ^[0-9]+$ ]] || die "$step takes a number of seconds (got '$secs')"
  prepare
  admin "$step" $((secs * 1000)) | sed 's/^/[cluster] /' || die "replicas not in sync"
}

# cmd_topic VERB NAME [PARTITIONS]: `topic` creates NAME; `topics` also the dead-letter topic a worker requires
# (DLQ_TOPIC defaults to NAME.dlq) and a results topic for its RESULTS_TOPIC, as `up` does for topic_app.
cmd_topic() {
  local verb=$1 name="${2:-}" parts="${3:-$PARTITIONS}" names steps=() t
  [[ -n "$name" ]] || die "usage: cluster.sh $verb NAME [PARTITIONS]"
  [[ "$parts" =~ ^[1-9][0-9]{0,5}$ ]] || die "partitions must be a positive number (got '$parts')"
  names=("$name")
  [[ "$verb" == topics ]] && names+=("$name.dlq" "$name.results")
  for t in "${names[@]}"; do steps+=(ensure-topic "$t" "$parts" 3 2); done
  # The dead-letter topic takes a record at NAME's size limit plus the dlq.* headers, as `up` makes it.
  [[ "$verb" == topics ]] && steps+=(ensure-room "$name.dlq" "$name" "$DLQ_HEADROOM_BYTES")
  port_open "$(broker_port 1)" || die "no broker on 127.0.0.1:$(broker_port 1): start the cluster first (make cluster-up)"
  prepare
  admin "${steps[@]}" | sed 's/^/[cluster] /' || die "topic(s) ${names[*]} not ready"
  say "ready on $BOOTSTRAP: ${names[*]}"
}

cmd_group_config() {
  [[ $# -eq 2 && -n "$1" && "$2" == *=* ]] ||
    die "usage: cluster.sh group-config GROUP KEY=VALUE[,KEY=VALUE] (e.g. share.auto.offset.reset=earliest)"
  port_open "$(broker_port 1)" || die "no broker on 127.0.0.1:$(broker_port 1): start the cluster first (make cluster-up)"
  prepare
  admin group-config "$1" "$2" | sed 's/^/[cluster] /' || die "group $1 not configured"
}

cmd_reset() {
  cmd_down
  rm -rf "$DATA"
  say "reset: removed ${DATA#"$REPO"/} (jar cache kept)"
}

cmd_logs() {
  check_node_arg "${1:-}"
  local f
  f="$(node_dir "$1")/server.log"
  [[ -f "$f" ]] || die "no log for node $1 yet"
  tail -n "${2:-50}" "$f"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

[[ "$PARTITIONS" =~ ^[1-9][0-9]*$ ]] || die "TOPIC_PARTITIONS must be a positive number (got '$PARTITIONS')"
[[ "$WAIT_TIMEOUT_S" =~ ^[0-9]+$ ]] || die "KAFKA_WAIT_TIMEOUT_S must be a number of seconds (got '$WAIT_TIMEOUT_S')"
[[ "$STOP_TIMEOUT_S" =~ ^[0-9]+$ ]] || die "KAFKA_STOP_TIMEOUT_S must be a number of seconds (got '$STOP_TIMEOUT_S')"

# one mutating invocation at a time (e.g. several test files calling `up` at once): the others wait
lock() {
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$RUN"
  exec 9>"$RUN/kafka.lock"
  if ! flock -n 9; then
    say "another cluster.sh is running; waiting for it ..."
    flock -w 300 9 || die "still locked by another cluster.sh after 300 s ($RUN/kafka.lock)"
  fi
}

verb="${1:-}"
shift || true
case "$verb" in
  up|down|kill|stop|start|topic|topics|reset) lock ;;
esac
case "$verb" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill) cmd_kill "$@" ;;
  stop) cmd_stop "$@" ;;
  freeze) cmd_signal STOP frozen "$@" ;;
  thaw) cmd_signal CONT thawed "$@" ;;
  start) cmd_start "$@" ;;
  wait-isr|wait-balanced) cmd_wait_isr "$verb" "$@" ;;
  topic|topics) cmd_topic "$verb" "$@" ;;
  group-config) cmd_group_config "$@" ;;
  reset) cmd_reset ;;
  logs) cmd_logs "$@" ;;
  -h|--help|help) usage ;;
  "") usage >&2; exit 2 ;;
  *) usage >&2; die "unknown verb '$verb'" ;;
esac
