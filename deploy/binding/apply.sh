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

# The patches layer (produce-run edits lines produce-by-name adds), so one of them cannot be checked alone once a
# later one is applied: a stamp in the package, written after the last one, says which set its sources carry.
stamp="$pkg/.kafka-fleet-patches"
patches_hash=$(cat "$here"/confluent-kafka-javascript-*.patch | sha256sum | cut -c1-16)
if [[ -f "$stamp" ]]; then
  [[ "$(cat "$stamp")" == "$patches_hash" ]] ||
    die "$pkg carries another set of these patches: reinstall it (make setup, or npm ci --ignore-scripts and this script)"
  say "every patch already applied"
  exit 0
fi

# In file-name order (the glob sorts): record-packing.patch applies on top of record-conversion.patch. Each is
# tried first (--dry-run), so that one which does not apply leaves no file half patched.
for file in "$here"/confluent-kafka-javascript-*.patch; do
  name=$(basename "$file")
  # The file name carries the version the patch was written for: a new version needs the patch redone.
  [[ $name == "confluent-kafka-javascript-$version-"* ]] ||
    die "$name is for another version than the installed $version: update or drop the patch"
  patch -d "$pkg" -p1 --forward --batch --dry-run --silent <"$file" >/dev/null 2>&1 ||
    die "$name does not apply to @confluentinc/kafka-javascript $version (sources already patched by hand? reinstall: make setup)"
  patch -d "$pkg" -p1 --forward --batch --silent --no-backup-if-mismatch <"$file"
  say "$name: applied"
done
echo "$patches_hash" >"$stamp"
