#!/usr/bin/env bash
# Verifies that `npm ci` (what .ci/run does) accepts package.json + package-lock.json.
# This machine's npm mirror lacks the newest builds of some platform-specific optional packages;
# npm then writes a lockfile that `npm ci` rejects. Run this after adding or upgrading any
# dependency; if it fails, pin the offending package (see "overrides" in package.json).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$root"
git ls-files -co --exclude-standard -- '*package.json' package-lock.json | tar cf - -T - | (cd "$tmp" && tar xf -)
cd "$tmp"
if npm ci --dry-run --ignore-scripts >"$tmp/out.txt" 2>&1; then
  echo "lockfile OK: npm ci accepts it"
else
  grep -v nodedir "$tmp/out.txt" | head -20
  echo "lockfile REJECTED by npm ci" >&2
  exit 1
fi
