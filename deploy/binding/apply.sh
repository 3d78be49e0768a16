#!/usr/bin/env bash
# Applies this folder's patches to the installed @confluentinc/kafka-javascript, between `npm ci --ignore-scripts`
# and `npm rebuild`, so that its addon is built once, from patched sources (README.md says why and what for).
# deploy/setup.sh and the Dockerfile call it; check.js then verifies the built addon. A second run only checks.
#
#   bash deploy/binding/apply.sh [repository root]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${1:-$(cd "$here/../.." && pwd)}
pkg="$root/node_modules/@confluentinc/kafka-javascript"

say() { printf '[binding] %s\n' "$*"; }
die() { printf '[binding] error: %s\n' "$*" >&2; exit 1; }

[[ -f "$pkg/package.json" ]] || die "$pkg is not installed (run npm ci first)"
version=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$pkg/package.json")
command -v patch >/dev/null 2>&1 || die "the patch command is missing (apt-get install -y patch; build-essential has it)"

# In file-name order (the glob sorts): record-packing.patch applies on top of record-conversion.patch.
for file in "$here"/confluent-kafka-javascript-*.patch; do
  name=$(basename "$file")
  # The file name carries the version the patch was written for: a new version needs the patch redone.
  [[ $name == "confluent-kafka-javascript-$version-"* ]] ||
    die "$name is for another version than the installed $version: update or drop the patch"
  if patch -d "$pkg" -p1 --dry-run --reverse --force --silent <"$file" >/dev/null 2>&1; then
    say "$name: already applied"
  else
    patch -d "$pkg" -p1 --forward --batch --silent --no-backup-if-mismatch <"$file" ||
      die "$name does not apply to @confluentinc/kafka-javascript $version"
    say "$name: applied"
  fi
done
