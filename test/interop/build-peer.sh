#!/usr/bin/env bash
# Builds the Kitex reference peer (server, client, tap, framediff, headerbench) into test/interop/kitex-peer/bin/.
# Needs Go >= 1.23; modules come from the Go module proxy and are checked against go.sum.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peer="$here/kitex-peer"

fail() {
  echo "build-peer: $*" >&2
  exit 1
}

command -v go >/dev/null 2>&1 || fail "Go >= 1.23 is needed for the interop suite (no 'go' on PATH)"
gov="$(go env GOVERSION 2>/dev/null || true)" # e.g. go1.26.8
[[ "$gov" =~ ^go([0-9]+)\.([0-9]+) ]] || fail "Go >= 1.23 is needed for the interop suite (cannot parse version '$gov')"
major="${BASH_REMATCH[1]}"
minor="${BASH_REMATCH[2]}"
if ((major < 1 || (major == 1 && minor < 23))); then
  fail "Go >= 1.23 is needed for the interop suite (found $gov)"
fi

mkdir -p "$peer/bin"
cd "$peer"
# go.sum is complete, so no checksum-database lookup is needed; -mod=readonly makes a stale
# go.mod/go.sum an error instead of a silent rewrite.
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
for cmd in server client tap framediff headerbench; do
  timeout 600 go build -o "bin/$cmd" "./cmd/$cmd" || fail "go build ./cmd/$cmd failed"
done
echo "build-peer: built $(ls bin | tr '\n' ' ')in $peer/bin ($gov)"
