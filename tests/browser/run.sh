#!/usr/bin/env bash
# Runs the admin page's browser test against a fresh release server.
# Needs Debian's chromium (apt-get install chromium) and Node.js.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build --release --quiet
work=$(mktemp -d)
port=${PORT:-18181}
# Webhooks may reach 127.0.0.1: the test's receiver listens there.
./target/release/switchboard --bind "127.0.0.1:$port" --db "$work/switchboard.db" \
  --allow-private-webhook-urls >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done
(cd tests/browser && npm ci --silent --no-audit --no-fund)
node tests/browser/admin.mjs "http://127.0.0.1:$port" "${SCREENSHOT:-$work/admin.png}" || {
  echo "--- server log"; tail -50 "$work/server.log"; exit 1; }
