#!/usr/bin/env bash
# Request figures of issue 8, each beside its baseline in the same run, on a database
# filled by `switchboard demo --contacts N`:
#  1. authenticated GET /v1/contacts/{id} (wrk -t2 -c64 -d10s, ids spread over the
#     people) against an actix-web hello-world (examples/hello.rs);
#  2. POST /v1/contacts with unique bodies (64 connections, synchronous=FULL), then a
#     check that every 200 is stored; against one-row-per-transaction inserts into SQLite
#     (WAL, synchronous=FULL) from 64 threads for as long.
# Prints `figure: value` lines (benches/suite.sh reads them).
# Usage: benches/requests.sh [N] [SECONDS]     (defaults 1000000, 10; needs wrk, curl, python3)
set -euo pipefail
n=${1:-1000000}
secs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18221}
trap 'kill $server $hello 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard --example hello
bin=target/release/switchboard
key=$($bin --db "$work/sb.db" demo --contacts "$n" --email bench@example.com | tail -1)
RUST_LOG=warn $bin --db "$work/sb.db" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
target/release/examples/hello $((port + 1)) &
hello=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$((port + 1))/hello" >/dev/null && break; sleep 0.1; done

cat > "$work/get.lua" <<LUA
local n = 0
wrk.headers["x-api-key"] = "$key"
request = function()
  n = n + 7919
  return wrk.format("GET", "/v1/contacts/" .. ((n % $n) + 1))
end
LUA
rate() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
baseline=$(wrk -t2 -c64 -d"${secs}s" "http://127.0.0.1:$((port + 1))/hello" | rate)
ours=$(wrk -t2 -c64 -d"${secs}s" -s "$work/get.lua" "http://127.0.0.1:$port" | tee "$work/get.txt" | rate)
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/get.txt"); non2xx=${non2xx:-0}
echo "get contact: $ours req/s (non-2xx: $non2xx)"
echo "hello world: $baseline req/s"
echo "get ratio: $(python3 -c "print(f'{$ours/$baseline:.2f}')")"

cat > "$work/post.lua" <<LUA
local n = 0
local thread_id = 0
setup = function(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
wrk.method = "POST"
wrk.headers["x-api-key"] = "$key"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local id = tid .. "-" .. n
  return wrk.format(nil, "/v1/contacts", nil,
    '{"externalId":"bench-' .. id .. '","name":"Bench ' .. id .. '","tags":["bench"],"attributes":{"source":"wrk"}}')
end
LUA
before=$(sqlite3 "$work/sb.db" "SELECT count(*) FROM contacts")
wrk -t2 -c64 -d"${secs}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port" > "$work/post.txt"
answered=$(awk '/requests in/ {print $1}' "$work/post.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/post.txt"); non2xx=${non2xx:-0}
stored=$(( $(sqlite3 "$work/sb.db" "SELECT count(*) FROM contacts") - before ))
echo "post contact: $(rate < "$work/post.txt") req/s, p99 $(awk '/ 99%/ {print $2}' "$work/post.txt"), $answered answered ($non2xx non-2xx), $stored stored"
echo "peak server RSS: $(grep VmHWM /proc/$server/status | awk '{print $2/1024}') MB"

python3 - "$work/plain.db" "$secs" <<'PY'
import sqlite3, sys, threading, time
path, secs = sys.argv[1], float(sys.argv[2])
setup = sqlite3.connect(path)
setup.execute("PRAGMA journal_mode=WAL")
setup.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE, name TEXT, data TEXT)")
setup.commit()
count = [0] * 64
def work(t):
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA synchronous=FULL")
    end, i = time.time() + secs, 0
    while time.time() < end:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO people (external_id, name, data) VALUES (?, ?, ?)", (f"{t}-{i}", f"Bench {t}-{i}", '{"source":"wrk"}'))
        db.execute("COMMIT")
        i += 1
    count[t] = i
threads = [threading.Thread(target=work, args=(t,)) for t in range(64)]
start = time.time()
for th in threads: th.start()
for th in threads: th.join()
print(f"sqlite one row per transaction: {sum(count) / (time.time() - start):.0f} rows/s")
PY
