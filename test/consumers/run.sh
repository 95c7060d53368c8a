#!/usr/bin/env bash
# `npm run test:consumers`: installs the packed library (npm pack of the built dist/; run
# `npm run build` first) into three small apps, as a user would, and runs each one:
#   esm-nest12  "type": "module", TypeScript module nodenext, Nest 12
#   cjs-nest12  CommonJS, TypeScript module commonjs, Nest 12 (ESM only, loaded by require(esm))
#   cjs-nest11  CommonJS, TypeScript module commonjs, Nest 11 (CommonJS)
# Each app (its own files plus shared/) is copied to a temporary directory, gets `npm install` of
# the tarball and its Nest major, is compiled with this repository's TypeScript (the CommonJS ones
# are also type-checked as module nodenext projects) and run: it serves a server-streaming method on
# 127.0.0.1:0, calls it and checks the replies. Ends with the line `N passed, N failed`.
# The package's .d.ts files are type-checked (skipLibCheck false) against Nest 12's types in
# esm-nest12 and Nest 11's in cjs-nest11; the other compiles skip that to keep CI fast.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/test/consumers"
tsc=(node "$root/node_modules/typescript/bin/tsc")
consumers=(esm-nest12 cjs-nest12 cjs-nest11)

[[ -f "$root/dist/index.js" ]] || { echo "test:consumers: dist/ is missing; run npm run build first" >&2; exit 2; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ttstream-consumers.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

tarball="$tmp/$(cd "$root" && npm pack --silent --pack-destination "$tmp" | tail -n 1)"
[[ -f "$tarball" ]] || { echo "test:consumers: npm pack failed" >&2; exit 1; }
echo "test:consumers: $(basename "$tarball"), node $(node --version), npm $(npm --version)"

# Installs, compiles and runs one consumer; any failing step fails it.
run_consumer() {
  local name="$1" dir="$tmp/$1" module="${1%%-*}" major="${1##*nest}"
  cp -R "$here/$name" "$dir" && rm -rf "$dir/node_modules" "$dir/dist" || return 1
  cp "$here/shared/check-stream.ts" "$dir/src/" && cp "$here/shared/counter.thrift" "$dir/" || return 1
  cd "$dir" || return 1

  timeout 300 npm install --no-audit --no-fund --prefer-offline --no-package-lock --ignore-scripts \
    --loglevel=error "$tarball" || { echo "$name: npm install failed"; return 1; }
  local nest
  nest="$(node -p 'require("./node_modules/@nestjs/core/package.json").version')" || return 1
  [[ "${nest%%.*}" == "$major" ]] || { echo "$name: installed @nestjs/core $nest, expected $major.x"; return 1; }

  timeout 120 "${tsc[@]}" -p tsconfig.json || { echo "$name: tsc failed"; return 1; }
  if [[ -f tsconfig.nodenext.json ]]; then
    timeout 120 "${tsc[@]}" -p tsconfig.nodenext.json || { echo "$name: tsc (module nodenext) failed"; return 1; }
  fi
  # The compiled app loads the package the way its module system does.
  local pattern='require("nestjs-ttstream")'
  [[ "$module" == esm ]] && pattern='from "nestjs-ttstream"'
  grep -qF "$pattern" dist/check-stream.js || grep -qF "${pattern//\"/\'}" dist/check-stream.js ||
    { echo "$name: dist/check-stream.js does not load the package with $pattern"; return 1; }

  echo "$name: @nestjs/core $nest"
  timeout 60 node dist/main.js || { echo "$name: the app failed (exit $?)"; return 1; }
}

passed=0
failed=0
for name in "${consumers[@]}"; do
  echo "== consumer $name"
  start=$SECONDS
  if (run_consumer "$name"); then
    passed=$((passed + 1))
    echo "$name: PASS ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    echo "$name: FAIL ($((SECONDS - start)) s)"
  fi
done
echo "$passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
