#!/usr/bin/env bash
# Request rate of an authenticated GET against GET /health in the same run (issue 2):
# wrk -t2 -c64 -d10s on a release server with an unlimited account, logging at warn.
# Usage: benches/http.sh [ROUNDS]       (default 2; needs wrk and curl)
set -euo pipefail
rounds=${1:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18197}
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet
bin=target/release/switchboard
echo 'benchmark passphrase' | $bin --db "$work/sb.db" account create --email bench@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email bench@example.com | tail -1)
RUST_LOG=${RUST_LOG:-warn} $bin --db "$work/sb.db" --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
rate() { wrk -t2 -c64 -d10s "$@" | awk '/Requests\/sec/ {printf "%.0f", $2}'; }
printf '| round | GET /health req/s | GET /v1/account req/s | ratio |\n| --- | --- | --- | --- |\n'
for round in $(seq "$rounds"); do
  health=$(rate "http://127.0.0.1:$port/health")
  account=$(rate -H "x-api-key: $key" "http://127.0.0.1:$port/v1/account")
  printf '| %s | %s | %s | %s |\n' "$round" "$health" "$account" "$(python3 -c "print(f'{$account/$health:.2f}')")"
done
