#!/usr/bin/env bash
# Regenerates kitex_gen/ from sample/idl/echo.thrift with the pinned Kitex generator.
# The generated code is committed; CI does not run this script.
#
# The generator is installed into a temporary GOBIN through a throw-away module, because
# `go install pkg@version` also asks the proxy for the module's version list (for deprecation
# notices), which some proxies refuse. thriftgo is embedded in the kitex tool (no separate install).
set -euo pipefail

KITEX_VERSION="v0.16.3" # keep in sync with go.mod

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
idl="$repo/sample/idl/echo.thrift"
module="github.com/nestjs-ttstream/kitex-peer"

command -v go >/dev/null 2>&1 || { echo "regen: Go >= 1.21 is needed" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/mod" "$tmp/bin"
(
  cd "$tmp/mod"
  go mod init kitex-tool-install >/dev/null 2>&1
  cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/cloudwego/kitex/tool/cmd/kitex"
EOF
  GOFLAGS=-mod=mod timeout 600 go get "github.com/cloudwego/kitex@$KITEX_VERSION" >/dev/null
  GOFLAGS=-mod=mod GOBIN="$tmp/bin" timeout 600 go install github.com/cloudwego/kitex/tool/cmd/kitex
)
"$tmp/bin/kitex" -version

cd "$here"
rm -rf kitex_gen
PATH="$tmp/bin:$PATH" timeout 300 kitex -streamx -module "$module" "$idl"
gofmt -l kitex_gen || true
echo "regen: kitex_gen regenerated with kitex $KITEX_VERSION"
