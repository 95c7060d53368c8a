#!/usr/bin/env bash
# Runs `npm test` and the interop suite under another Node major (the `node` package from the npm
# registry, installed under .tmp/): `npm run test:node -- 22`. CI runs the installed Node only.
set -euo pipefail
major="${1:?usage: npm run test:node -- <major>, e.g. 22 or 24}"
[[ "$major" =~ ^[0-9]+$ ]] || { echo "test:node: '$major' is not a Node major version" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tmp/node-$major"
mkdir -p "$dir"
timeout 600 npm install --prefix "$dir" --no-save --no-package-lock --silent "node@$major"
node_bin="$dir/node_modules/node/bin/node"
echo "test:node: $("$node_bin" -v)"
cd "$root"
bash test/interop/build-peer.sh
export NODE_OPTIONS=--experimental-vm-modules
"$node_bin" node_modules/jest/bin/jest.js
"$node_bin" node_modules/jest/bin/jest.js -c jest.interop.config.js --runInBand
