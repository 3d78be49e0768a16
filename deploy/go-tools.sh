# Go programs built from the Go module proxy into a cache outside the repository (~/.cache/kafka-fleet, or
# $KAFKA_FLEET_CACHE) on first use, then reused. Sourced by deploy/helm/tools.sh (the Helm chart's checkers) and
# deploy/compose-plugin.sh (Compose v2+ as a docker CLI plugin); the sourcing script defines say and die.
# Why not the usual downloads: only package registries are reachable from here and from CI (no GitHub releases),
# and the Go module proxy serves both the toolchain and every tool's sources.

# The newest Go any tool here needs: helm v4.3.2 and deploy/helm/validate need 1.26.0, docker/compose v5.6.0 1.26.8.
GO_VERSION=1.26.8

go_tools_cache=${KAFKA_FLEET_CACHE:-$HOME/.cache/kafka-fleet}
go_tools_bin=$go_tools_cache/bin
mkdir -p "$go_tools_bin"

# An installed go of at least GO_VERSION, or that toolchain from the proxy (golang.org/toolchain: a zip of the Go
# distribution), kept in the cache.
go_cmd() {
  local installed
  if installed=$(go env GOVERSION 2>/dev/null) &&
    [[ $(printf '%s\n' "go$GO_VERSION" "$installed" | sort -V | head -n 1) == "go$GO_VERSION" ]]; then
    echo go
    return
  fi
  local goroot=$go_tools_cache/go$GO_VERSION
  if [[ ! -x $goroot/bin/go ]]; then
    say "fetching Go $GO_VERSION from the Go module proxy (golang.org/toolchain)"
    local zip=$go_tools_cache/go$GO_VERSION.zip proxy=${GOPROXY:-https://proxy.golang.org}
    proxy=${proxy%%,*}
    curl -fsSL -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip" ||
      die "could not fetch the Go toolchain from $proxy"
    rm -rf "$go_tools_cache/toolchain-unpack" && mkdir -p "$go_tools_cache/toolchain-unpack"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$go_tools_cache/toolchain-unpack"
    mv "$go_tools_cache/toolchain-unpack/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-amd64" "$goroot"
    chmod +x "$goroot"/bin/* "$goroot"/pkg/tool/*/*
    rm -rf "$zip" "$go_tools_cache/toolchain-unpack"
  fi
  echo "$goroot/bin/go"
}

# Builds the main package $1 of a module at version $2 into the file $3 (ldflags in $4), through a throwaway module
# that requires it: unlike `go install pkg@version`, this also builds modules whose go.mod has exclude or replace
# directives (docker/compose has). Go's own output goes to a log beside the build, shown only if the build fails.
go_build_package() {
  local package=$1 version=$2 output=$3 ldflags=${4:-}
  local go dir log
  go=$(go_cmd)
  dir=$go_tools_cache/build/$(basename "$output")
  log=$dir.log
  rm -rf "$dir" && mkdir -p "$dir"
  if ! (cd "$dir" && export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -mod=mod" &&
    "$go" mod init kafka-fleet-tools && "$go" get "$package@$version" &&
    "$go" build -trimpath -ldflags "-s -w $ldflags" -o "$output.tmp" "$package") >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "building $package@$version failed (log: $log)"
  fi
  mv "$output.tmp" "$output"
  rm -rf "$dir" "$log"
}
