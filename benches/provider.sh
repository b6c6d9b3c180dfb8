#!/usr/bin/env bash
# Delivery to a provider (issue 7): WhatsApp template broadcasts through the real Cloud API
# transport to a local stand-in (benches/tools/fake_graph.rs) that checks each request and fails
# every 20th with a 503, so retries run all along. Two figures:
#  1. sustained sends per second, unpaced (--broadcast-rate 0), N contacts;
#  2. whether pacing holds the per-account rate: the default 80/s for SECONDS, counted by
#     the stand-in as requests arrive (retries included: the provider counts them too).
#
# Usage: benches/provider.sh [N] [SECONDS]    (defaults 20000, 30; needs curl, python3)
set -euo pipefail
n=${1:-20000}
secs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18211}
fake_port=$((port + 1))
trap 'kill $server $fake 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard --example fake_graph
bin=target/release/switchboard
python3 benches/gen_people.py "$n" > "$work/people.csv"

target/release/examples/fake_graph "$fake_port" bench-token 20 >"$work/fake.log" 2>&1 &
fake=$!
echo 'benchmark passphrase' | $bin --db "$work/sb.db" account create --email bench@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email bench@example.com | tail -1)
serve() {
  RUST_LOG=warn $bin --db "$work/sb.db" --bind "127.0.0.1:$port" \
    --provider-url "whatsapp=http://127.0.0.1:$fake_port/v21.0" "$@" >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
}
api() { curl -fs -H "x-api-key: $key" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

serve --broadcast-rate 0
api -X PUT -d '{"phoneNumberId":"1055","accessToken":"bench-token"}' \
  "http://127.0.0.1:$port/v1/channels/whatsapp" >/dev/null
curl -fs -H "x-api-key: $key" -H 'Content-Type: text/csv' --data-binary "@$work/people.csv" \
  "http://127.0.0.1:$port/v1/contacts/import" >/dev/null
api -d '{"name":"promo","language":"en","body":"Hi {{1}}, use code {{2}}"}' "http://127.0.0.1:$port/v1/templates" >/dev/null
seg=$(api -d '{"name":"everyone","criteria":{}}' "http://127.0.0.1:$port/v1/segments" | json '["id"]')
broadcast() {
  api -d "{\"name\":\"$1\",\"segment\":{\"id\":\"$seg\"},\"channel\":\"whatsapp\",\"template\":{\"name\":\"promo\",\"language\":\"en\"},\"bodyTextParameters\":[\"{{firstName|there}}\",\"FREESHIP\"]}" \
    "http://127.0.0.1:$port/v1/broadcasts" | json '["id"]'
}

# 1. Unpaced.
start=$(date +%s.%N)
bid=$(broadcast unpaced)
while :; do
  s=$(api "http://127.0.0.1:$port/v1/broadcasts/$bid")
  case $(echo "$s" | json '["status"]') in completed) break;; esac
  sleep 0.5
done
end=$(date +%s.%N)
api "http://127.0.0.1:$port/v1/broadcasts/$bid" > "$work/unpaced.json"
curl -fs "http://127.0.0.1:$fake_port/stats" > "$work/stats1.json"

# 2. Paced at the default 80/s, the same stand-in still failing every 20th request.
kill "$server"; wait "$server" 2>/dev/null || true
serve
paced=$(broadcast paced)
sleep "$((secs + 2))"
api -X POST "http://127.0.0.1:$port/v1/broadcasts/$paced/cancel" > "$work/paced.json"
curl -fs "http://127.0.0.1:$fake_port/stats" > "$work/stats2.json"

python3 - "$work" "$n" "$start" "$end" "$secs" <<'PY'
import json, sys
work, n, start, end, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
s1 = json.load(open(f"{work}/stats1.json"))
b1 = json.load(open(f"{work}/unpaced.json"))["stats"]
arrivals = sorted(s1["ok"] + s1["failed"])
span = (arrivals[-1] - arrivals[0]) / 1000
lo, hi = arrivals[len(arrivals) // 10], arrivals[len(arrivals) * 9 // 10]
middle = (len(arrivals) * 8 // 10) / ((hi - lo) / 1000)
print(f"unpaced: {b1['sent']:,} sent, {b1['failed']:,} failed of {n:,}; the stand-in saw "
      f"{len(arrivals):,} requests ({len(s1['failed']):,} answered 503 and retried)")
print(f"  whole broadcast, create to completed: {end - start:.1f} s = {b1['sent'] / (end - start):,.0f} sends/s")
p95 = (arrivals[len(arrivals) * 95 // 100] - arrivals[0]) / 1000
print(f"  requests at the stand-in: {len(arrivals) / span:,.0f}/s over {span:.1f} s, "
      f"{middle:,.0f}/s over the middle 80%; 95% had arrived after {p95:.1f} s, "
      f"the rest are retries waiting out their backoff")

s2 = json.load(open(f"{work}/stats2.json"))
seen_before = len(arrivals)
all2 = sorted(s2["ok"] + s2["failed"])[seen_before:]
first = all2[0]
# The bucket starts full (one second of sends); the steady rate is measured after it.
steady = [t for t in all2 if t >= first + 1000]
window = (steady[-1] - (first + 1000)) / 1000
rate = len(steady) / window
b2 = json.load(open(f"{work}/paced.json"))["stats"]
print(f"paced at 80/s: {len(all2):,} requests in {(all2[-1] - first) / 1000:.1f} s "
      f"({b2['sent']:,} sent before cancel); after the first second {len(steady):,} in {window:.1f} s "
      f"= {rate:.2f}/s, {100 * (rate - 80) / 80:+.1f}% from 80")
per_second = {}
for t in steady:
    per_second[(t - first) // 1000] = per_second.get((t - first) // 1000, 0) + 1
counts = [per_second.get(k, 0) for k in range(1, int(window))]
print(f"  per-second counts: min {min(counts)}, max {max(counts)}")
PY
echo "peak server RSS: $(grep VmHWM /proc/$server/status | awk '{print $2/1024}') MB"
