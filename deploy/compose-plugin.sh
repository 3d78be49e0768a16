#!/usr/bin/env bash
# Compose v2+ as a docker CLI plugin, so that `docker compose ...` works as typed where the docker CLI has none
# (Debian ships only the retired v1 `docker-compose`). `make up` runs `install` before anything else.
#
#   compose-plugin.sh install   nothing when `docker compose version` answers; else builds docker/compose from the
#                               Go module proxy into the cache (once, a few minutes; deploy/go-tools.sh) and
#                               installs it as ~/.docker/cli-plugins/docker-compose ($DOCKER_CONFIG/cli-plugins)
#   compose-plugin.sh path      the cached binary, building it if missing (it also runs standalone)
#
# Exits 1 with one line when it cannot: no docker CLI to plug into, or the build failed.
set -euo pipefail

COMPOSE_VERSION=v5.6.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { printf '[compose-plugin] %s\n' "$*" >&2; }
die() { printf '[compose-plugin] error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=go-tools.sh
source "$here/go-tools.sh"

plugin_path() {
  local binary=$go_tools_bin/docker-compose-$COMPOSE_VERSION
  if [[ ! -x $binary ]]; then
    local started=$SECONDS
    say "building Docker Compose $COMPOSE_VERSION from the Go module proxy (once; a few minutes)"
    go_build_package github.com/docker/compose/v5/cmd "$COMPOSE_VERSION" "$binary" \
      "-X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION"
    say "Docker Compose built in $((SECONDS - started)) s"
  fi
  echo "$binary"
}

install_plugin() {
  command -v docker >/dev/null 2>&1 || die "no docker CLI to install the Compose plugin into"
  docker compose version >/dev/null 2>&1 && return 0
  local target=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose binary
  binary=$(plugin_path)
  # A plugin file that is not ours and does not run is its owner's to fix: only a missing one is installed.
  if [[ -e $target ]] && ! cmp -s "$target" "$binary"; then
    die "$target exists but 'docker compose version' fails with it; remove it to have make up install Compose $COMPOSE_VERSION"
  fi
  mkdir -p "$(dirname "$target")"
  # A copy, not a link into the cache: the plugin keeps working if the cache is cleared.
  install -m 0755 "$binary" "$target.tmp" && mv "$target.tmp" "$target"
  docker compose version >/dev/null 2>&1 || die "installed $target, but 'docker compose version' still fails"
  say "installed Docker Compose $COMPOSE_VERSION as $target"
}

case ${1:-} in
  install) install_plugin ;;
  path) plugin_path ;;
  *) die "usage: compose-plugin.sh install|path" ;;
esac
