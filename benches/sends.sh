#!/usr/bin/env bash
# Send throughput (issue 5): POST /v1/messages/telegram/sendtext through the HTTP API with 64
# concurrent connections (wrk -t2 -c64 -d10s) to the sandbox transport, on a release build
# with synchronous=FULL. Reports sends/s, latency percentiles, and checks afterwards that
# every answered send is in the log and reached `sent`.
# Usage: benches/sends.sh [SECONDS]      (default 10; needs wrk, curl, sqlite3)
set -euo pipefail
secs=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18199}
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet
bin=target/release/switchboard
echo 'benchmark passphrase' | $bin --db "$work/sb.db" account create --email bench@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email bench@example.com | tail -1)
RUST_LOG=${RUST_LOG:-warn} $bin --db "$work/sb.db" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
api() { curl -fs -H "x-api-key: $key" -H 'Content-Type: application/json' "$@"; }
# 64 recipients, one per connection on average.
ids=()
for i in $(seq 64); do
  ids+=("$(api -d "{\"name\":\"Bench $i\",\"channelIds\":{\"telegram\":\"$i\"}}" "http://127.0.0.1:$port/v1/contacts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done
cat > "$work/send.lua" <<LUA
local ids = { $(IFS=,; echo "${ids[*]}") }
local n = 0
wrk.method = "POST"
wrk.headers["x-api-key"] = "$key"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format(nil, "/v1/messages/telegram/sendtext",
    nil, '{"contact":{"id":"' .. id .. '"},"textMessage":"Benchmark message ' .. n .. '"}')
end
LUA
wrk -t2 -c64 -d"${secs}s" --latency -s "$work/send.lua" "http://127.0.0.1:$port" | tee "$work/wrk.txt"
answered=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt"); non2xx=${non2xx:-0}
# Let the worker drain, then compare the log with what was answered.
for _ in $(seq 100); do
  left=$(sqlite3 "$work/sb.db" "SELECT count(*) FROM messages WHERE status < 3")
  [ "$left" = 0 ] && break; sleep 0.1
done
logged=$(sqlite3 "$work/sb.db" "SELECT count(*) FROM messages")
sent=$(sqlite3 "$work/sb.db" "SELECT count(*) FROM messages WHERE status = 3")
echo "answered: $answered (non-2xx: $non2xx), logged: $logged, sent: $sent, still waiting: $left"
