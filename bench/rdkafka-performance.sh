#!/usr/bin/env bash
# Builds librdkafka's own perf tool, rdkafka_performance, against the librdkafka the binding was built with
# (node_modules/@confluentinc/kafka-javascript/build/deps/librdkafka.a): the C peer of bench/consume-peers.ts.
# The package ships librdkafka's sources without its examples/, so the tool's one source file comes from the
# argument, or from librdkafka's repository at the bundled version's tag (then the previous patch release's).
#
#   bash bench/rdkafka-performance.sh [rdkafka_performance.c]     writes .run/rdkafka_performance
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg="$root/node_modules/@confluentinc/kafka-javascript"
lib="$pkg/deps/librdkafka"
out="$root/.run/rdkafka_performance"
say() { printf '[rdkafka-performance] %s\n' "$*"; }
die() { printf '[rdkafka-performance] error: %s\n' "$*" >&2; exit 1; }

[[ -f "$pkg/build/deps/librdkafka.a" ]] || die "$pkg/build/deps/librdkafka.a is missing: install first (make setup)"
hex=$(sed -n 's/^#define RD_KAFKA_VERSION 0x\([0-9a-f]*\)$/\1/p' "$lib/src/rdkafka.h")
version="$((16#${hex:0:2})).$((16#${hex:2:2})).$((16#${hex:4:2}))"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The file includes "../src/rd.h": it is compiled from an examples/ folder beside librdkafka's src/.
mkdir -p "$work/examples" && ln -s "$lib/src" "$work/src"
if [[ $# -ge 1 ]]; then
  cp "$1" "$work/examples/rdkafka_performance.c"
else
  for tag in "v$version" "v${version%.*}.$((${version##*.} - 1))"; do
    url="https://raw.githubusercontent.com/confluentinc/librdkafka/$tag/examples/rdkafka_performance.c"
    if curl -fsSL "$url" -o "$work/examples/rdkafka_performance.c" 2>/dev/null; then
      say "source: $url"
      break
    fi
  done
  [[ -s "$work/examples/rdkafka_performance.c" ]] ||
    die "could not download rdkafka_performance.c for librdkafka $version: pass the file as the argument"
fi
# The libraries librdkafka's configure found when the binding was built.
libs=$(sed -n 's/^LIBS+=\s*//p' "$lib/Makefile.config" | tr '\n' ' ')
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086 # $libs is a list of flags
(cd "$work/examples" && cc -O2 -I../src -o "$out" rdkafka_performance.c "$pkg/build/deps/librdkafka.a" $libs)
say "built $out against librdkafka $version"
