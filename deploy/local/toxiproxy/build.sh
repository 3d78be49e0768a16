#!/usr/bin/env bash
# Builds the chaos suite's fault proxy (main.go: toxiproxy-server of github.com/Shopify/toxiproxy/v2, at the
# version go.mod names, plus the segment_loss toxic) from the Go module proxy into the cache outside the
# repository (~/.cache/kafka-fleet, or $KAFKA_FLEET_CACHE) on first use, and prints its path. The binary is named
# after its sources, so a change to them builds it again. Go comes from deploy/helm/tools.sh (the installed go
# when recent enough, else the toolchain module from the proxy). A cold build takes about a minute on 2 cores.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${KAFKA_FLEET_CACHE:-$HOME/.cache/kafka-fleet}
mkdir -p "$cache/bin"

sum=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
binary=$cache/bin/toxiproxy-$sum
if [[ ! -x $binary ]]; then
  go=$(bash "$here/../../helm/tools.sh" go)
  started=$SECONDS
  printf '[toxiproxy] building deploy/local/toxiproxy (once; about a minute)\n' >&2
  (cd "$here" && GOTOOLCHAIN=local GOFLAGS=-buildvcs=false "$go" build -trimpath -ldflags "-s -w" -o "$binary.tmp.$$" .) >&2
  mv "$binary.tmp.$$" "$binary"
  printf '[toxiproxy] built in %d s\n' $((SECONDS - started)) >&2
fi
echo "$binary"
