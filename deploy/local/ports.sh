# shellcheck shell=bash
# The local cluster's ports, from one base, sourced by cluster.sh, fleet.sh and bin/run. Node N (1..3) listens on
# KAFKA_PORT_BASE + 2(N-1) (broker), the next port (controller), 100 above the broker (SASL/SCRAM) and the port
# after that (SASL/OAUTHBEARER), 200 above (the PROXIED listener) and 300 above (the fault proxy, when it runs): by default 9092/9093, 9094/9095, 9096/9097,
# 9192/9194/9196, 9193/9195/9197, 9292/9294/9296 and 9392/9394/9396. A second checkout runs its own cluster beside the first with
# another base (KAFKA_PORT_BASE=19092).
#
# Checked before any arithmetic sees it: bash evaluates a variable's text inside $(( )), command substitutions
# included. A bad value is a configuration error (exit 2), named by the script that sourced this file.
KAFKA_PORT_BASE="${KAFKA_PORT_BASE:-9092}"
if ! [[ "$KAFKA_PORT_BASE" =~ ^[0-9]{1,5}$ ]] || ((10#$KAFKA_PORT_BASE < 1024 || 10#$KAFKA_PORT_BASE > 65231)); then
  printf '[%s] error: KAFKA_PORT_BASE="%s": expected whole number from 1024 to 65231 (the cluster takes it, the next 5 ports and 100, 200 and 300 above them), e.g. 19092\n' \
    "$(basename "$0" .sh)" "$KAFKA_PORT_BASE" >&2
  exit 2
fi
KAFKA_PORT_BASE=$((10#$KAFKA_PORT_BASE))

broker_port() { echo $((KAFKA_PORT_BASE + 2 * ($1 - 1))); }
controller_port() { echo $((KAFKA_PORT_BASE + 2 * ($1 - 1) + 1)); }
sasl_port() { echo $((KAFKA_PORT_BASE + 100 + 2 * ($1 - 1))); }
# The OAUTHBEARER listener (Kafka's unsecured JWT validator, for tests of a token provider): next to SCRAM's.
oauth_port() { echo $(($(sasl_port "$1") + 1)); } # 9193/9195/9197 by default
# The PROXIED listener (the chaos suite's fault proxy in front of it): advertised as the proxy's port, so a client
# that bootstraps through the proxy reaches every broker through it (harness/chaos/toxiproxy.ts).
proxied_port() { echo $(($(broker_port "$1") + 200)); } # the broker listens: 9292/9294/9296 by default
proxy_port() { echo $(($(broker_port "$1") + 300)); }   # the proxy listens, advertised: 9392/9394/9396

# 127.0.0.1:<broker port>,... for the three nodes (the cluster listens on the loopback address only)
LOCAL_BOOTSTRAP="127.0.0.1:$(broker_port 1),127.0.0.1:$(broker_port 2),127.0.0.1:$(broker_port 3)"
LOCAL_SASL_BOOTSTRAP="127.0.0.1:$(sasl_port 1),127.0.0.1:$(sasl_port 2),127.0.0.1:$(sasl_port 3)"
LOCAL_OAUTH_BOOTSTRAP="127.0.0.1:$(oauth_port 1),127.0.0.1:$(oauth_port 2),127.0.0.1:$(oauth_port 3)"
