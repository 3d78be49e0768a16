#!/usr/bin/env bash
# Builds librdkafka's own perf tool, rdkafka_performance, against the librdkafka the binding was built with
# (node_modules/@confluentinc/kafka-javascript/build/deps/librdkafka.a): the C peer of `make bench`'s throughput
# part and of bench/consume-peers.ts. The package ships librdkafka's sources without its examples/, so the tool's
# one source file (BSD-2-Clause, librdkafka/LICENSE) comes from the argument, or from the crates.io package
# rdkafka-sys, which carries librdkafka's whole tree: crates.io answers where raw.githubusercontent.com may not.
# Pinned and checked against its sha256 (the one crates.io's index lists); the download is cached outside the
# repository. The crate's librdkafka (2.12.1) is older than the binding's: its example compiles against the
# newer headers unchanged, and the library it links is the binding's.
#
#   bash bench/rdkafka-performance.sh [rdkafka_performance.c]     writes .run/rdkafka_performance
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg="$root/node_modules/@confluentinc/kafka-javascript"
lib="$pkg/deps/librdkafka"
out="$root/.run/rdkafka_performance"
CRATE=rdkafka-sys-4.10.0+2.12.1
CRATE_SHA256=e234cf318915c1059d4921ef7f75616b5219b10b46e9f3a511a15eb4b56a3f77
CRATE_URL="https://static.crates.io/crates/rdkafka-sys/$CRATE.crate"
cache="$HOME/.cache/kafka-fleet"
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
  [[ -f "$1" ]] || { printf '[rdkafka-performance] error: no such file: %s\n' "$1" >&2; exit 2; }
  cp "$1" "$work/examples/rdkafka_performance.c"
else
  crate="$cache/$CRATE.crate"
  if [[ ! -f "$crate" ]] || ! echo "$CRATE_SHA256  $crate" | sha256sum --check --status; then
    mkdir -p "$cache"
    say "downloading $CRATE_URL"
    curl -fsSL "$CRATE_URL" -o "$crate.part" || die "could not download $CRATE_URL: pass rdkafka_performance.c as the argument"
    echo "$CRATE_SHA256  $crate.part" | sha256sum --check --status ||
      { rm -f "$crate.part"; die "$CRATE.crate does not match its sha256 $CRATE_SHA256"; }
    mv "$crate.part" "$crate"
  fi
  tar -xzf "$crate" -C "$work" --strip-components=2 "$CRATE/librdkafka/examples/rdkafka_performance.c" ||
    die "$crate holds no librdkafka/examples/rdkafka_performance.c"
  say "source: librdkafka/examples/rdkafka_performance.c of $CRATE (crates.io, sha256 checked)"
fi
# The libraries librdkafka's configure found when the binding was built.
libs=$(sed -n 's/^LIBS+=\s*//p' "$lib/Makefile.config" | tr '\n' ' ')
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2086 # $libs is a list of flags
(cd "$work/examples" && cc -O2 -I../src -o "$out" rdkafka_performance.c "$pkg/build/deps/librdkafka.a" $libs)
say "built $out against librdkafka $version"
