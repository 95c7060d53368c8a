#!/usr/bin/env bash
# `npm run lint:package`: checks the package as published (the `npm pack` tarball of the built
# dist/; run `npm run build` first) with publint and @arethetypeswrong/cli (attw).
#
# attw runs with its strict profile (node10, node16 from CJS and ESM, bundler) and ignores one rule:
#   cjs-resolves-to-esm: attw (through TypeScript 5.6, which it bundles) still treats require() of an
#   ES module as an error. The package is ESM without top-level await and needs Node >= 20.19
#   (`engines`), where require(esm) works: the `require` condition is meant for exactly that, and
#   test/consumers/ proves it with CommonJS apps. attw's open issue about it:
#   https://github.com/arethetypeswrong/arethetypeswrong.github.io/issues/252
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f dist/index.js ]] || { echo "lint:package: dist/ is missing; run npm run build first" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tarball="$tmp/$(npm pack --silent --pack-destination "$tmp" | tail -n 1)"

npx --no-install publint run "$tarball" --strict
npx --no-install attw "$tarball" --profile strict --ignore-rules cjs-resolves-to-esm --format table-flipped --no-summary --no-color
