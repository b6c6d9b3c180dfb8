#!/usr/bin/env bash
# Import benchmark (issues 3, 27): N generated contacts shaped like a real export (benches/gen_contacts.py) as one
# CSV through POST /v1/contacts/import on a release server, against sqlite3's own `.import`
# of the same file into a plain table with an index on phone, and beside SQLite's own floor for
# our schema (benches/baselines.sh, import_floor), in the same run. Then the
# latency of small writes before and after the import (the WAL must not make them crawl).
#
# Usage: [JSON=1] [BIN=build] benches/import.sh [N]   (default 1,000,000; needs sqlite3, curl,
#        python3). JSON=1 imports the same rows as a JSON array of contacts (the baselines
#        stay the CSV's); BIN= another build, to compare versions.
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18199}
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
. benches/baselines.sh
cargo build --release --quiet
bin=${BIN:-target/release/switchboard}

python3 benches/gen_contacts.py "$n" > "$work/contacts.csv"
echo "contacts: $n, file: $(du -h "$work/contacts.csv" | cut -f1)"
body=$work/contacts.csv type=text/csv
if [ -n "${JSON:-}" ]; then
  python3 - "$work/contacts.csv" > "$work/contacts.json" <<'PY'
import csv, json, sys
fields = ["firstName", "lastName", "phoneNumber", "email", "gender", "birthDate", "contactStage"]
rows = [{**{f: r[f] for f in fields}, "tags": [t for t in r["tags"].split(";") if t],
         "attributes": {"city": r["city"], "country": r["country"]}}
        for r in csv.DictReader(open(sys.argv[1]))]
json.dump(rows, sys.stdout)
PY
  body=$work/contacts.json type=application/json
  echo "as JSON: $(du -h "$body" | cut -f1)"
fi

# Baseline: sqlite3 .import into a plain indexed table (WAL, synchronous=FULL, as we run).
baseline=$(import_baseline "$work/contacts.csv" "$work/baseline.db" "$n")
echo "sqlite3 .import: $baseline rows/s"
echo 'benchmark passphrase' | $bin --db "$work/floor.db" account create --email floor@example.com --plan unlimited >/dev/null
floor=$(import_floor "$work/contacts.csv" "$work/floor.db" "$n")
echo "SQLite's floor for our schema (INSERT … SELECT of the same rows and tag links): $floor rows/s"

echo 'benchmark passphrase' | $bin --db "$work/sb.db" account create --email bench@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email bench@example.com | tail -1)
RUST_LOG=warn $bin --db "$work/sb.db" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

small_writes() {  # prints the median and p99 of 200 sequential creates, in ms
  for i in $(seq 200); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "x-api-key: $key" -H 'Content-Type: application/json' \
      -d "{\"name\": \"probe $1 $i\"}" "http://127.0.0.1:$port/v1/contacts"
  done | sort -n | awk '{a[NR]=$1} END {printf "median %.2f ms, p99 %.2f ms\n", a[int(NR/2)]*1000, a[int(NR*0.99)]*1000}'
}
echo "small writes before the import: $(small_writes before)"

start=$(date +%s.%N)
result=$(curl -s -H "x-api-key: $key" -H "Content-Type: $type" --data-binary "@$body" \
  "http://127.0.0.1:$port/v1/contacts/import")
end=$(date +%s.%N)
echo "import answer: $(echo "$result" | cut -c1-120)"
ours=$(python3 -c "print(f'{$n/($end-$start):.0f}')")
echo "switchboard import: $(python3 -c "print(f'{$end-$start:.2f}')") s, $ours rows/s"
echo "ratio to sqlite3 .import: $(python3 -c "print(f'{$ours/$baseline:.2f}')"), to the floor: $(python3 -c "print(f'{$ours/$floor:.2f}')")"
echo "small writes after the import:  $(small_writes after)"
echo "peak server RSS: $(grep VmHWM /proc/$server/status | awk '{print $2/1024 " MB"}')"
