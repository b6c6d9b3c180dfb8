#!/usr/bin/env bash
# Segment count benchmark (issue 4): N generated contacts imported through the API, then
# GET /v1/segments/{id}/count for rules over indexed fields, tags, and five custom
# attributes; each beside sqlite3 running the equivalent hand-written count(*) over a plain
# table of the same data, in the same run.
#
# Usage: benches/segments.sh [N]        (default 1,000,000; needs sqlite3, curl, python3)
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
port=${PORT:-18198}
trap 'kill $server 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet
bin=target/release/switchboard
python3 benches/gen_people.py "$n" > "$work/people.csv"

sqlite3 "$work/plain.db" <<SQL
CREATE TABLE people (phone TEXT, email TEXT, gender TEXT, stage TEXT, birth TEXT, tags TEXT,
                     city TEXT, country TEXT, orders INTEGER, member TEXT, plan TEXT);
.mode csv
.import --skip 1 $work/people.csv people
SQL

echo 'benchmark passphrase' | $bin --db "$work/sb.db" account create --email bench@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email bench@example.com | tail -1)
RUST_LOG=warn $bin --db "$work/sb.db" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
api() { curl -s -H "x-api-key: $key" -H 'Content-Type: application/json' "$@"; }
# Imports take at most 64 MiB a request: send the file in parts of 400,000 rows.
tail -n +2 "$work/people.csv" | split -l 400000 - "$work/part."
for part in "$work"/part.*; do
  { head -1 "$work/people.csv"; cat "$part"; } > "$part.csv"
  curl -s -H "x-api-key: $key" -H 'Content-Type: text/csv' --data-binary "@$part.csv" "http://127.0.0.1:$port/v1/contacts/import" | cut -c1-60
  echo
done

# name | rule (groups JSON) | equivalent hand-written SQL over the plain table
cases=(
  "tag t3|[{\"conditions\":[{\"attribute\":\"tags\",\"operator\":\"has\",\"value\":\"t3\"}]}]|SELECT count(*) FROM people WHERE tags LIKE 't3;%'"
  "gender and stage|[{\"conditions\":[{\"attribute\":\"gender\",\"operator\":\"==\",\"value\":\"Female\"},{\"attribute\":\"contactStage\",\"operator\":\"==\",\"value\":\"Lead\"}]}]|SELECT count(*) FROM people WHERE gender = 'Female' AND stage = 'Lead'"
  "age 30 to 40|[{\"conditions\":[{\"attribute\":\"age\",\"operator\":\">=\",\"value\":30},{\"attribute\":\"age\",\"operator\":\"<=\",\"value\":40}]}]|SELECT count(*) FROM people WHERE birth <= '1996-11-22' AND birth > '1985-11-22'"
  "5 custom attributes|[{\"conditions\":[{\"attribute\":\"plan\",\"operator\":\"!=\",\"value\":\"free\"},{\"attribute\":\"member\",\"operator\":\"==\",\"value\":true},{\"attribute\":\"orders\",\"operator\":\">=\",\"value\":30},{\"attribute\":\"city\",\"operator\":\"starts_with\",\"value\":\"City1\"},{\"attribute\":\"country\",\"operator\":\"in\",\"value\":[\"Country1\",\"Country2\",\"Country3\"]}]}]|SELECT count(*) FROM people WHERE plan <> 'free' AND member = 'true' AND orders >= 30 AND city LIKE 'City1%' AND country IN ('Country1','Country2','Country3')"
)
printf '| rule | members | /count median ms | sqlite3 count(*) ms | ratio |\n| --- | --- | --- | --- | --- |\n'
for case in "${cases[@]}"; do
  IFS='|' read -r name groups sql <<<"$case"
  created=$(api -d "{\"name\":\"$name\",\"groups\":$groups}" "http://127.0.0.1:$port/v1/segments")
  id=$(echo "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || { echo "creating $name failed: $created"; exit 1; }
  times=$(for _ in $(seq 11); do curl -s -o "$work/count.json" -w '%{time_total}\n' -H "x-api-key: $key" "http://127.0.0.1:$port/v1/segments/$id/count"; done | sort -n)
  ours=$(echo "$times" | sed -n 6p | awk '{printf "%.1f", $1*1000}')
  members=$(python3 -c "import json; print(json.load(open('$work/count.json'))['count'])")
  base=$(for _ in $(seq 5); do printf '.timer on\n%s;\n' "$sql" | sqlite3 "$work/plain.db" | grep 'Run Time' | awk '{print $4}'; done | sort -n | sed -n 3p | awk '{printf "%.1f", $1*1000}')
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$members" "$ours" "$base" "$(python3 -c "print(f'{$ours/max($base,0.1):.2f}')")"
done
