#!/usr/bin/env bash
# A single-node Kubernetes on this machine, for `make test-k8s`: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet and kube-proxy as processes (built by deploy/k8s/tools.sh), a containerd of its own,
# pod networking by the CNI bridge plugin, CoreDNS as a pod. Nothing is pulled: images are imported from podman
# (deploy/k8s/images.sh). Needs root. Hold /tmp/fleet.lock around up ... down: CI uses this machine too.
#
#   cluster.sh up       install containerd, runc, the CNI plugins, conntrack (apt) when missing; start everything;
#                       wait for the node Ready and DNS up; print the kubeconfig's path
#   cluster.sh down     stop everything and undo what it changed on the host: processes, containers, mounts,
#                       network namespaces, the cni0 bridge, iptables chains, sysctls, cgroups, files
#   cluster.sh env      KUBECONFIG=... PATH=... lines for `eval`, to use kubectl and helm against it
#   cluster.sh status   what runs
#
# What it took on this machine (cgroup v1, no systemd, root without CAP_SYS_RESOURCE in some places):
# - containerd's CRI `restrict_oom_score_adj = true`: runc cannot lower oom_score_adj here ("can't get final
#   child's PID from pipe").
# - kubelet: failCgroupV1 false (the host's cgroups are v1), failSwapOn false, the cgroupfs driver.
# - the node's address is the machine's own interface address, not loopback: pods reach the apiserver through
#   its Service IP, which kube-proxy sends to that address.
# - kubelet and kube-proxy set host sysctls (kernel.panic, vm.overcommit_memory, route_localnet, ...) and create
#   iptables chains: `up` records the sysctls and chains there were, `down` restores and removes the rest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf '[k8s] %s\n' "$*" >&2; }
die() { printf '[k8s] error: %s\n' "$*" >&2; exit 1; }

# Everything the cluster writes lives under these two (down removes both).
DATA=/var/lib/kafka-fleet-k8s
RUN=/run/kafka-fleet-k8s
CONTAINERD_SOCKET=$RUN/containerd/containerd.sock
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
POD_CIDR=10.244.0.0/16
POD_SUBNET=10.244.0.0/24
BRIDGE=kf-cni0
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1
COREDNS_IMAGE=localhost/kafka-fleet/coredns:local
# The sysctls kubelet, kube-proxy and the bridge plugin may set; down puts each back.
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet net.ipv4.ip_forward
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait)
PACKAGES=(containerd runc containernetworking-plugins iptables conntrack openssl)

running() { [[ -f $RUN/$1.pid ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

node_ip() {
  ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1
}

install_packages() {
  local missing=() package
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]} (apt)"
  apt-get update -qq
  # policy-rc.d: the package must not start a containerd of its own (this script runs one with its own paths).
  local policy=/usr/sbin/policy-rc.d created=""
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ -n $created ]] && rm -f "$policy"
  return 0
}

# ---------------------------------------------------------------- certificates and kubeconfigs
# One CA; the apiserver's serving certificate for every name it is reached by; one client certificate in
# system:masters shared by the components and kubectl (a throwaway test cluster: no per-component identities).
make_pki() {
  local pki=$DATA/pki ip=$1
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj "/CN=kafka-fleet-k8s-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:%s,IP:127.0.0.1,IP:%s,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
      "$ip" "$API_SERVICE_IP" >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 30 -extfile apiserver.ext 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=kafka-fleet-admin" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 30 -extfile client.ext 2>/dev/null
    # The aggregation layer (an API served by a pod, e.g. KEDA's external metrics): the API server proxies to it
    # with a client certificate of its own CA, which the pod's server trusts through extension-apiserver-authentication.
    openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 30 -subj "/CN=kafka-fleet-front-proxy-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr -subj "/CN=front-proxy-client" 2>/dev/null
    openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial -out front-proxy-client.crt -days 30 -extfile client.ext 2>/dev/null
    openssl genrsa -out service-accounts.key 2048 2>/dev/null
    openssl rsa -in service-accounts.key -pubout -out service-accounts.pub 2>/dev/null
  )
  cat >"$DATA/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: kafka-fleet
    cluster: { server: "https://$ip:6443", certificate-authority: $pki/ca.crt }
users:
  - name: admin
    user: { client-certificate: $pki/admin.crt, client-key: $pki/admin.key }
contexts:
  - name: kafka-fleet
    context: { cluster: kafka-fleet, user: admin }
current-context: kafka-fleet
EOF
}

# ---------------------------------------------------------------- host state recorded before up, restored by down
record_host_state() {
  local state=$DATA/host-state
  mkdir -p "$state"
  local name
  for name in "${SYSCTLS[@]}"; do
    if sysctl -n "$name" >/dev/null 2>&1; then echo "$name=$(sysctl -n "$name")"; fi
  done >"$state/sysctls"
  local table
  for table in filter nat mangle raw; do
    iptables -w -t "$table" -S | sed -n 's/^-N //p' | sed "s/^/$table /" || true
  done >"$state/iptables-chains"
  for table in filter nat mangle raw; do
    ip6tables -w -t "$table" -S 2>/dev/null | sed -n 's/^-N //p' | sed "s/^/$table /" || true
  done >"$state/ip6tables-chains"
  ip netns list 2>/dev/null | awk '{print $1}' >"$state/netns" || true
  [[ -d /var/log/containers ]] && echo yes >"$state/var-log-containers" || echo no >"$state/var-log-containers"
  [[ -d /var/log/pods ]] && echo yes >"$state/var-log-pods" || echo no >"$state/var-log-pods"
}

start() { # name log command...
  local name=$1
  shift
  setsid nohup "$@" >>"$DATA/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

wait_for() { # what seconds command...
  local what=$1 seconds=$2 i
  shift 2
  for ((i = 0; i < seconds * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what did not come up within ${seconds} s (logs: $DATA/logs)"
}

write_configs() {
  local ip=$1 bin=$2
  mkdir -p "$DATA/containerd" "$RUN/containerd" "$DATA/cni/conf" "$DATA/cni/ipam"
  cat >"$DATA/containerd/config.toml" <<EOF
version = 2
root = "$DATA/containerd/root"
state = "$RUN/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCKET"
[ttrpc]
  address = "$RUN/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # runc cannot set oom_score_adj without CAP_SYS_RESOURCE here.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$RUN/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DATA/cni/conf"
EOF
  cat >"$DATA/cni/conf/10-kafka-fleet.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "kafka-fleet-k8s",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$DATA/cni/ipam", "ranges": [[{ "subnet": "$POD_SUBNET" }]],
                "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$DATA/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 host, swap allowed, no systemd.
failCgroupV1: false
failSwapOn: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCKET
podLogsDir: $DATA/pod-logs
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $DATA/pki/ca.crt }
authorization: { mode: AlwaysAllow }
clusterDomain: cluster.local
clusterDNS: [$DNS_SERVICE_IP]
resolvConf: /etc/resolv.conf
address: $ip
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
# A shared CI machine: nothing is evicted or garbage-collected for its disk.
evictionHard: { memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 60
EOF
  cat >"$DATA/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: kafka-fleet-node
clusterCIDR: $POD_CIDR
clientConnection: { kubeconfig: $DATA/kubeconfig }
# Service traffic between two pods on the one bridge comes back through the node.
iptables: { masqueradeAll: true }
# The host's conntrack table is left as it is.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
EOF
}

api_ready() { "$1/kubectl" --kubeconfig "$DATA/kubeconfig" get --raw /readyz; }

up() {
  [[ $(id -u) -eq 0 ]] || die "needs root (containers, mounts, iptables)"
  if running kube-apiserver; then say "already up"; print_env; return 0; fi
  [[ -e $DATA ]] && die "$DATA exists: a previous cluster was not taken down (run: bash deploy/k8s/cluster.sh down)"
  local ip bin started=$SECONDS
  ip=$(node_ip)
  [[ -n $ip && $ip != 127.* ]] || die "no non-loopback address for the node (ip route get 1.1.1.1)"
  install_packages
  bin=$(bash "$here/tools.sh" bindir)
  mkdir -p "$DATA/logs" "$RUN"
  echo "$bin" >"$DATA/bin"
  record_host_state
  say "node address $ip; binaries in $bin"
  make_pki "$ip"
  write_configs "$ip" "$bin"
  # Service traffic between pods on one bridge must cross iptables.
  modprobe br_netfilter 2>/dev/null || true
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1 || true

  start containerd containerd --config "$DATA/containerd/config.toml"
  start etcd "$bin/etcd" --name kafka-fleet --data-dir "$DATA/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster kafka-fleet=http://127.0.0.1:2380 --listen-metrics-urls "" --log-level warn
  wait_for etcd 60 curl -fsS http://127.0.0.1:2379/health
  local pki=$DATA/pki
  start kube-apiserver "$bin/kube-apiserver" --etcd-servers http://127.0.0.1:2379 \
    --bind-address "$ip" --advertise-address "$ip" --secure-port 6443 \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode RBAC \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
    --kubelet-preferred-address-types InternalIP \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --service-account-key-file "$pki/service-accounts.pub" --service-account-signing-key-file "$pki/service-accounts.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local --allow-privileged=true \
    --profiling=false
  wait_for kube-apiserver 180 api_ready "$bin"
  start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$DATA/kubeconfig" \
    --service-account-private-key-file "$pki/service-accounts.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=false --leader-elect=false --bind-address 127.0.0.1 \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$DATA/kubeconfig" --leader-elect=false \
    --bind-address 127.0.0.1 --profiling=false
  wait_for containerd 60 ctr --address "$CONTAINERD_SOCKET" version
  bash "$here/images.sh" system
  start kubelet "$bin/kubelet" --config "$DATA/kubelet.yaml" --kubeconfig "$DATA/kubeconfig" \
    --root-dir "$DATA/kubelet" --node-ip "$ip" --hostname-override kafka-fleet-node
  start kube-proxy "$bin/kube-proxy" --config "$DATA/kube-proxy.yaml"
  local kubectl=("$bin/kubectl" --kubeconfig "$DATA/kubeconfig")
  wait_for "the node" 120 "${kubectl[@]}" get node kafka-fleet-node
  "${kubectl[@]}" wait --for=condition=Ready node/kafka-fleet-node --timeout=180s >/dev/null ||
    die "the node did not become Ready (logs: $DATA/logs)"
  # The controller-manager creates each namespace's default ServiceAccount; pods cannot start before it exists.
  wait_for "the default ServiceAccount" 120 "${kubectl[@]}" -n default get serviceaccount default
  sed -e "s#@DNS_SERVICE_IP@#$DNS_SERVICE_IP#" -e "s#@COREDNS_IMAGE@#$COREDNS_IMAGE#" "$here/coredns.yaml" |
    "${kubectl[@]}" apply -f - >/dev/null
  "${kubectl[@]}" -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null ||
    die "CoreDNS did not become ready (kubectl -n kube-system describe pod -l k8s-app=kube-dns)"
  say "up in $((SECONDS - started)) s"
  print_env
}

print_env() {
  echo "KUBECONFIG=$DATA/kubeconfig"
  echo "PATH=$(cat "$DATA/bin"):\$PATH"
}

# ---------------------------------------------------------------- down
stop_process() { # name [signal]
  local name=$1 pid i
  [[ -f $RUN/$name.pid ]] || return 0
  pid=$(cat "$RUN/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
}

# The processes of every container: each pod's cgroup under kubepods, in every v1 hierarchy.
kill_pod_processes() {
  local dir pid round
  for round in 1 2 3; do
    local found=""
    for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
      [[ -d $dir ]] || continue
      while read -r pid; do
        [[ -n $pid ]] || continue
        kill -KILL "$pid" 2>/dev/null && found=1
      done < <(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    done
    [[ -n $found ]] || break
    sleep 0.5
  done
}

remove_pod_cgroups() {
  local dir
  for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
    [[ -d $dir ]] || continue
    find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

# containerd-shim processes started for our containerd (their command line names its socket).
kill_shims() {
  local pid
  for pid in $(grep -lsa -- "$RUN/containerd/containerd.sock" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

unmount_under() {
  local base mount
  for base in "$@"; do
    # Deepest first.
    while read -r mount; do
      umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
    done < <(awk -v base="$base" '$2 == base || index($2, base "/") == 1 {print $2}' /proc/self/mounts | sort -r)
  done
}

remove_iptables_chains() { # iptables|ip6tables recorded-file
  local tool=$1 recorded=$2 table chain
  command -v "$tool" >/dev/null 2>&1 || return 0
  for table in filter nat mangle raw; do
    local chains
    chains=$("$tool" -w -t "$table" -S 2>/dev/null | sed -n 's/^-N //p') || continue
    local ours=()
    for chain in $chains; do
      grep -qxF "$table $chain" "$recorded" 2>/dev/null || ours+=("$chain")
    done
    ((${#ours[@]})) || continue
    # Rules jumping to them (from any chain), then the chains.
    for chain in "${ours[@]}"; do
      local rule
      while read -r rule; do
        [[ -n $rule ]] || continue
        eval "$tool -w -t $table ${rule/-A /-D }" 2>/dev/null || true
      done < <("$tool" -w -t "$table" -S | grep -E -- "-j $chain( |\$)" || true)
    done
    for chain in "${ours[@]}"; do "$tool" -w -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in "${ours[@]}"; do "$tool" -w -t "$table" -X "$chain" 2>/dev/null || true; done
  done
}

down() {
  [[ $(id -u) -eq 0 ]] || die "needs root"
  [[ -d $DATA || -d $RUN ]] || { say "not up"; return 0; }
  local state=$DATA/host-state
  # The kubelet first (it would restart what is stopped), then every container, then the rest.
  stop_process kubelet
  stop_process kube-proxy
  kill_pod_processes
  kill_shims
  stop_process containerd
  kill_pod_processes
  stop_process kube-scheduler
  stop_process kube-controller-manager
  stop_process kube-apiserver
  stop_process etcd
  # kube-proxy's own cleanup of its rules, then whatever chain was not there before up.
  if [[ -f $DATA/bin && -x $(cat "$DATA/bin")/kube-proxy ]]; then
    "$(cat "$DATA/bin")/kube-proxy" --cleanup >/dev/null 2>&1 || true
  fi
  remove_iptables_chains iptables "$state/iptables-chains"
  remove_iptables_chains ip6tables "$state/ip6tables-chains"
  # Pod network namespaces created since up.
  local netns
  for netns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    grep -qxF "$netns" "$state/netns" 2>/dev/null || ip netns delete "$netns" 2>/dev/null || true
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE" 2>/dev/null || true
  unmount_under "$DATA" "$RUN"
  remove_pod_cgroups
  if [[ -f $state/sysctls ]]; then
    local line
    while read -r line; do sysctl -qw "$line" 2>/dev/null || true; done <"$state/sysctls"
  fi
  # kubelet links every container's log under /var/log/containers.
  if [[ -d /var/log/containers ]]; then
    find /var/log/containers -maxdepth 1 -type l -lname "$DATA/*" -delete 2>/dev/null || true
    [[ $(cat "$state/var-log-containers" 2>/dev/null) == no ]] && rmdir /var/log/containers 2>/dev/null || true
  fi
  [[ $(cat "$state/var-log-pods" 2>/dev/null) == no ]] && rmdir /var/log/pods 2>/dev/null || true
  # FLEET_TEST_LOG_DIR (as for the tests' service processes): the components' and the pods' logs are kept there.
  if [[ -n ${FLEET_TEST_LOG_DIR:-} ]]; then
    mkdir -p "$FLEET_TEST_LOG_DIR/k8s"
    cp -r "$DATA/logs" "$DATA/pod-logs" "$FLEET_TEST_LOG_DIR/k8s/" 2>/dev/null || true
  fi
  rm -rf "$DATA" "$RUN"
  say "down"
  leftovers
}

# What down must have removed: says what is still there, exits 1 if anything is.
leftovers() {
  local left=()
  grep -qs -- "$RUN/containerd" /proc/[0-9]*/cmdline && left+=("containerd processes")
  awk -v a="$DATA" -v b="$RUN" 'index($2, a) == 1 || index($2, b) == 1' /proc/self/mounts | grep -q . && left+=("mounts")
  ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("$BRIDGE")
  iptables -w -t nat -S 2>/dev/null | grep -q -- '-N KUBE-' && left+=("KUBE-* iptables chains")
  ls -d /sys/fs/cgroup/*/kubepods >/dev/null 2>&1 && left+=("kubepods cgroups")
  if ((${#left[@]})); then
    say "left behind: ${left[*]}"
    return 1
  fi
}

status() {
  local name
  for name in containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    if running "$name"; then say "$name: running"; else say "$name: not running"; fi
  done
}

case ${1:-} in
  up) up ;;
  down) down ;;
  env) print_env ;;
  status) status ;;
  *) die "usage: cluster.sh up|down|env|status" ;;
esac
