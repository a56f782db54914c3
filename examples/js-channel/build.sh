#!/usr/bin/env bash
# Builds the JavaScript example channel into a WebAssembly component:
#
#   examples/js-channel/build.sh OUT.wasm
#
# Installs the pinned toolchain (componentize-js, jco) from npm into this folder's
# node_modules when it is missing or older than package-lock.json, then componentizes
# src/channel.js against the frozen WIT package, world `minimal`. A component newer
# than everything it is built from is left as it is.
set -euo pipefail

fail() {
  echo "js-channel build: $*" >&2
  exit 1
}

[ $# -eq 1 ] || fail "usage: $0 OUT.wasm"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac
wit="$here/../../wit/channel@0.2.1"
[ -f "$wit/channel.wit" ] || fail "the WIT package is missing at $wit"

command -v node >/dev/null || fail "node is not installed (Node.js 20 or newer is needed)"
command -v npm >/dev/null || fail "npm is not installed (it comes with Node.js)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "Node.js $(node --version) is too old; 20 or newer is needed"

# The copy of the lock file that the last install came from: another lock file means
# another toolchain, so install again rather than build with a stale one.
stamp="$here/node_modules/.installed-package-lock.json"
if ! cmp -s "$here/package-lock.json" "$stamp"; then
  echo "js-channel build: installing the toolchain from npm (npm ci)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) ||
    fail "npm ci failed in $here; is the npm registry reachable?"
  cp "$here/package-lock.json" "$stamp"
fi

if [ -f "$out" ] && [ -z "$(find "$here/src" "$here/package-lock.json" "$here/build.sh" \
  "$wit/channel.wit" -newer "$out" -print -quit)" ]; then
  echo "js-channel build: $out is up to date" >&2
  exit 0
fi

mkdir -p "$(dirname "$out")"
# The host links wasi:cli, clocks, io, random and filesystem, not wasi:http: without
# `http` and `fetch-event` the engine imports nothing else. Replies go out through
# the contract's `host.http-fetch`, which is where the operator's grants and the
# secret placeholders are applied anyway.
(cd "$here" && node_modules/.bin/componentize-js src/channel.js \
  --wit "$wit" --world-name minimal --disable http fetch-event --out "$out.tmp") ||
  fail "componentize-js failed"
mv "$out.tmp" "$out"
echo "js-channel build: wrote $out ($(wc -c <"$out") bytes)" >&2
