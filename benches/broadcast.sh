#!/usr/bin/env bash
# Broadcast benchmark (issue 6): N generated contacts imported through the API, a WhatsApp
# template broadcast to a segment of all of them, unpaced (--broadcast-rate 0), with the
# sandbox transport. Reports:
#  * the fan-out rate (messages created and queued per second, from the server's log),
#    beside sqlite3 running INSERT … SELECT of the same rows into a plain table with the
#    same row shape and an index on contact_id, in the same run;
#  * the time until the whole broadcast is `completed`;
#  * API latency (GET and POST /v1/contacts) idle and while the broadcast sends.
#
# Usage: benches/broadcast.sh [N]       (default 1,000,000; needs sqlite3, curl, python3)
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
port=${PORT:-18201}
trap 'kill $server 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"
. benches/baselines.sh
cargo build --release --quiet
bin=target/release/switchboard
python3 benches/gen_people.py "$n" > "$work/people.csv"

echo 'benchmark passphrase' | $bin --db "$work/sb.db" account create --email bench@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email bench@example.com | tail -1)
RUST_LOG=info $bin --db "$work/sb.db" --bind "127.0.0.1:$port" --broadcast-rate 0 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
api() { curl -fs -H "x-api-key: $key" -H 'Content-Type: application/json' "$@"; }
tail -n +2 "$work/people.csv" | split -l 400000 - "$work/part."
for part in "$work"/part.??; do
  { head -1 "$work/people.csv"; cat "$part"; } > "$part.csv"
  curl -fs -H "x-api-key: $key" -H 'Content-Type: text/csv' --data-binary "@$part.csv" \
    "http://127.0.0.1:$port/v1/contacts/import" >/dev/null
done
api -d '{"name":"promo","language":"en","body":"Hi {{1}}, use code {{2}}"}' "http://127.0.0.1:$port/v1/templates" >/dev/null
seg=$(api -d '{"name":"everyone","groups":[{"conditions":[{"attribute":"optedOut","operator":"==","value":false}]}]}' \
  "http://127.0.0.1:$port/v1/segments" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
contact=$(api "http://127.0.0.1:$port/v1/contacts?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

# Latency probe: 200 sequential requests on one keep-alive connection; median and p99 ms.
cat > "$work/probe.py" <<PY
import http.client, json, sys, time
conn = http.client.HTTPConnection("127.0.0.1", $port)
h = {"x-api-key": "$key", "Content-Type": "application/json"}
def probe(method, path, body=None):
    times = []
    for i in range(200):
        t = time.perf_counter()
        conn.request(method, path, body=body(i) if body else None, headers=h)
        r = conn.getresponse(); r.read()
        assert r.status == 200, r.status
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return f"{times[100]:.2f} / {times[197]:.2f}"
tag = sys.argv[1]
get = probe("GET", "/v1/contacts/$contact")
post = probe("POST", "/v1/contacts", lambda i: json.dumps({"name": f"probe {tag} {i}"}))
print(f"| {tag} | {get} | {post} |")
PY
echo '| when | GET /v1/contacts/{id} median / p99 ms | POST /v1/contacts median / p99 ms |'
echo '| --- | --- | --- |'
python3 "$work/probe.py" idle

start=$(date +%s.%N)
bid=$(api -d "{\"name\":\"bench\",\"segment\":{\"id\":\"$seg\"},\"channel\":\"whatsapp\",\"template\":{\"name\":\"promo\",\"language\":\"en\"},\"bodyTextParameters\":[\"{{firstName|there}}\",\"FREESHIP\"]}" \
  "http://127.0.0.1:$port/v1/broadcasts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 600); do grep -q "broadcast $bid: fanned out" "$work/server.log" && break; sleep 0.1; done
python3 "$work/probe.py" sending
while :; do
  status=$(api "http://127.0.0.1:$port/v1/broadcasts/$bid" | python3 -c 'import json,sys; b=json.load(sys.stdin); print(b["status"], b["stats"]["sent"], b["stats"]["total"])')
  case $status in completed*) break;; esac
  sleep 1
done
end=$(date +%s.%N)
fanout=$(grep "broadcast $bid: fanned out" "$work/server.log" | sed 's/.*fanned out, \([0-9]*\) messages queued in \([0-9]*\) ms/\1 \2/')
read -r queued ms <<<"$fanout"

sqlite3 "$work/plain.db" <<SQL
CREATE TABLE people (phone TEXT, email TEXT, gender TEXT, stage TEXT, birth TEXT, tags TEXT,
                     city TEXT, country TEXT, orders INTEGER, member TEXT, plan TEXT);
.mode csv
.import --skip 1 $work/people.csv people
SQL
base=$(fanout_baseline "$work/plain.db")
python3 - <<PY
ours = $queued / ($ms / 1000)
base = $n / $base
print(f"fan-out: {$queued} messages queued in {$ms} ms = {ours:,.0f} recipients/s; "
      f"sqlite3 INSERT … SELECT: {$n} rows in {$base * 1000:.0f} ms = {base:,.0f} rows/s; ratio {ours / base:.2f}")
print(f"whole broadcast to completed: {$end - $start:.1f} s ({$queued / ($end - $start):,.0f} messages/s)")
PY
echo "peak server RSS: $(grep VmHWM /proc/$server/status | awk '{print $2/1024}') MB"

# The same server at the default pace (80 messages/s per account): latency while a second
# broadcast to the same million runs; cancelled after the probe.
kill "$server"; wait "$server" 2>/dev/null || true
RUST_LOG=info $bin --db "$work/sb.db" --bind "127.0.0.1:$port" >>"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
echo '| when | GET /v1/contacts/{id} median / p99 ms | POST /v1/contacts median / p99 ms |'
echo '| --- | --- | --- |'
python3 "$work/probe.py" idle
paced=$(api -d "{\"name\":\"paced\",\"segment\":{\"id\":\"$seg\"},\"channel\":\"whatsapp\",\"template\":{\"name\":\"promo\",\"language\":\"en\"},\"bodyTextParameters\":[\"{{firstName|there}}\",\"FREESHIP\"]}" \
  "http://127.0.0.1:$port/v1/broadcasts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 600); do grep -q "broadcast $paced: fanned out" "$work/server.log" && break; sleep 0.1; done
python3 "$work/probe.py" "sending at 80/s"
api -X POST "http://127.0.0.1:$port/v1/broadcasts/$paced/cancel" | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print("paced broadcast:", s["sent"], "sent before cancel,", s["cancelled"], "cancelled")'
