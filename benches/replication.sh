#!/usr/bin/env bash
# What replication with Litestream costs and what it guarantees (issue 28), on N demo people:
#
#  1. RPO and RTO: the server under `litestream replicate -exec` (deploy/litestream.yml, file
#     replica) with --wal-managed-externally, under the suite's write load (wrk POSTing unique
#     creates, 64 connections) and a marker writer that records when each of its creates was
#     acknowledged; both are killed with SIGKILL mid-load, the database is restored into a
#     fresh directory, and a server started on the copy. RPO is how long before the kill the
#     earliest acknowledged marker missing from the copy was acknowledged (none missing: the
#     newest marker's age); RTO is the restore plus the start until the API answers. Three
#     kills, each resumed from the crashed file.
#  2. The cost to writes: CSV import of N contacts over HTTP (benches/gen_contacts.py) into a
#     new account, then wrk POST creates for SECONDS, on two copies of the same database, one
#     alone and one under Litestream, alternating over two rounds; the WAL's largest size
#     during each import.
#
# Usage: benches/replication.sh [N] [SECONDS]   (defaults 1000000, 10; needs litestream,
#        wrk, sqlite3, curl, python3; prints a Markdown table)
set -euo pipefail
n=${1:-1000000}
secs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18251}
url=http://127.0.0.1:$port
trap 'pkill -9 -f "switchboard --db $work" 2>/dev/null || true; pkill -9 -f "litestream replicate -config $work" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard
bin=$root/target/release/switchboard
py() { python3 -c "$1"; }
n() { py "print(f'{$1:,}')"; }
now() { date +%s.%N; }
wait_for() { for _ in $(seq 600); do curl -fs "$1" >/dev/null && return; sleep 0.05; done; echo "no answer from $1"; exit 1; }
python3 - "$root/deploy/litestream.yml" "$work/litestream.yml" <<'PY'
import sys
open(sys.argv[2], "w").write(open(sys.argv[1]).read().split("      # An S3-compatible bucket")[0])
PY

key=$($bin --db "$work/a.db" demo --contacts "$n" --email bench@example.com | tail -1)
cp "$work/a.db" "$work/b.db"
cp "$work/a.db" "$work/c.db"
python3 benches/gen_contacts.py "$n" > "$work/contacts.csv"
export SB_KEY=$key  # for benches/post.lua

# Starts the server on database $1, alone or (with $2 = litestream) under Litestream.
start() {
  if [ "${2:-}" = litestream ]; then
    SWITCHBOARD_DB=$1 SWITCHBOARD_REPLICA_DIR=$1.replica litestream replicate -config "$work/litestream.yml" \
      -exec "$bin --db $1 --bind 127.0.0.1:$port --wal-managed-externally" >>"$work/litestream.log" 2>&1 &
  else
    $bin --db "$1" --bind "127.0.0.1:$port" >>"$work/server.log" 2>&1 &
  fi
  disown
  wait_for "$url/health"
}
# Waits until Litestream has shipped what the database holds: the replica stops growing.
settled() {
  local last=-1 size
  while :; do
    size=$(du -sb "$1.replica" 2>/dev/null | cut -f1 || true); size=${size:-0}
    [ "$size" -gt 0 ] && [ "$size" = "$last" ] && return
    last=$size
    sleep 3
  done
}
stop() {  # SIGTERM, as systemd would: the server stops gracefully, Litestream after it
  pkill -f "litestream replicate -config $work" 2>/dev/null || pkill -f "switchboard --db $1 " || true
  while pgrep -f "switchboard --db $1 " >/dev/null || pgrep -f "litestream replicate -config $work" >/dev/null; do sleep 0.1; done
}
RUST_LOG=warn
export RUST_LOG

# 1. RPO and RTO.
rpos=(); rtos=(); restores=(); losts=()
for kill in 1 2 3; do
  start "$work/c.db" litestream
  settled "$work/c.db"
  wrk -t2 -c64 -d"$((secs + 5))s" -s benches/post.lua "$url" >/dev/null 2>&1 &
  load=$!
  python3 - "$url" "$key" "$work/marks.$kill" "$kill" 2>/dev/null <<'PY' &
import http.client, json, sys, time
host, key, path, run = sys.argv[1].removeprefix("http://"), sys.argv[2], sys.argv[3], sys.argv[4]
conn = http.client.HTTPConnection(host)
with open(path, "w") as marks:
    i = 0
    while True:
        i += 1
        body = json.dumps({"externalId": f"mark-{run}-{i}", "name": f"mark {i}"})
        conn.request("POST", "/v1/contacts", body, {"x-api-key": key, "Content-Type": "application/json"})
        answer = conn.getresponse()
        answer.read()
        if answer.status == 200:
            marks.write(f"mark-{run}-{i} {time.time()}\n")
            marks.flush()
PY
  marker=$!
  sleep "$secs"
  killed=$(now)
  pkill -9 -f "switchboard --db $work/c.db " || true
  pkill -9 -f "litestream replicate -config $work" || true
  kill -9 $marker 2>/dev/null || true
  kill $load 2>/dev/null || true
  sleep 0.5
  rm -rf "$work/copy"; mkdir "$work/copy"
  t0=$(now)
  SWITCHBOARD_DB=$work/c.db SWITCHBOARD_REPLICA_DIR=$work/c.db.replica \
    litestream restore -config "$work/litestream.yml" -o "$work/copy/sb.db" "$work/c.db" >>"$work/restore.log" 2>&1
  t1=$(now)
  $bin --db "$work/copy/sb.db" --bind "127.0.0.1:$port" >>"$work/server.log" 2>&1 &
  copy=$!
  for _ in $(seq 6000); do curl -fs -H "x-api-key: $key" "$url/v1/contacts?limit=1" >/dev/null 2>&1 && break; sleep 0.01; done
  t2=$(now)
  kill $copy; wait $copy 2>/dev/null || true
  [ "$(sqlite3 "$work/copy/sb.db" 'PRAGMA integrity_check')" = ok ] || { echo "the copy fails integrity_check"; exit 1; }
  sqlite3 "$work/copy/sb.db" "SELECT external_id FROM contacts WHERE external_id LIKE 'mark-$kill-%'" > "$work/present"
  read -r rpo lost <<<"$(python3 - "$work/marks.$kill" "$work/present" "$killed" <<'PY'
import sys
marks = [line.split() for line in open(sys.argv[1]) if line.strip()]
present, killed = set(open(sys.argv[2]).read().split()), float(sys.argv[3])
missing = [float(t) for m, t in marks if m not in present]
print(f"{killed - (min(missing) if missing else float(marks[-1][1])):.2f}", len(missing))
PY
)"
  echo "kill $kill: acknowledged writes of the last $rpo s lost ($lost markers); restore $(py "print(f'{$t1-$t0:.1f}')") s, start $(py "print(f'{$t2-$t1:.1f}')") s"
  rpos+=("$rpo"); losts+=("$lost"); restores+=("$(py "print(f'{$t1-$t0:.1f}')")"); rtos+=("$(py "print(f'{$t2-$t0:.1f}')")")
done
db_mb=$(py "print(round($(stat -c %s "$work/copy/sb.db") / 1048576))")
rm -rf "$work/c.db"* "$work/copy"

# 2. Writes alone and under Litestream, alternating.
declare -A imports posts wals
for round in 1 2; do
  for mode in alone litestream; do
    db=$work/a.db; [ "$mode" = litestream ] && db=$work/b.db
    start "$db" "$mode"
    [ "$mode" = litestream ] && settled "$db"
    echo 'benchmark passphrase' | $bin --db "$db" account create --email "import$round@example.com" --plan unlimited >/dev/null
    import_key=$($bin --db "$db" key create --email "import$round@example.com" | tail -1)
    ( largest=0; while :; do s=$(stat -c %s "$db-wal" 2>/dev/null || echo 0); [ "$s" -gt "$largest" ] && largest=$s && echo "$largest" > "$work/wal"; sleep 0.1; done ) &
    watcher=$!
    t0=$(now)
    created=$(curl -fs -H "x-api-key: $import_key" -H 'Content-Type: text/csv' --data-binary "@$work/contacts.csv" "$url/v1/contacts/import" \
      | py 'import json,sys; print(json.load(sys.stdin)["created"])')
    t1=$(now)
    kill $watcher; wait $watcher 2>/dev/null || true
    [ "$created" = "$n" ] || { echo "the import created $created"; exit 1; }
    imports[$mode]+="$(py "print(round($n/($t1-$t0)))") "
    wals[$mode]+="$(py "print(round($(cat "$work/wal") / 1048576))") "
    posts[$mode]+="$(wrk -t2 -c64 -d"${secs}s" -s benches/post.lua "$url" | awk '/Requests\/sec/ {printf "%.0f", $2}') "
    stop "$db"
    last() { echo "$1" | awk '{print $NF}'; }
    echo "round $round, $mode: import $(last "${imports[$mode]}") rows/s, WAL $(last "${wals[$mode]}") MiB, POST $(last "${posts[$mode]}") req/s"
  done
done
mean() { py "v=[$(echo "$1" | xargs | tr ' ' ,)]; print(round(sum(v)/len(v)))"; }
slash() { echo "$1" | xargs | tr ' ' /; }

echo
echo "Written by \`benches/replication.sh $n $secs\` on $(date -u +%Y-%m-%d), Litestream $(litestream version), file replica, sync-interval 1 s; $(nproc) cores."
echo
echo '| figure | alone | under Litestream | ratio |'
echo '| --- | --- | --- | --- |'
ia=$(mean "${imports[alone]}"); il=$(mean "${imports[litestream]}")
pa=$(mean "${posts[alone]}"); pl=$(mean "${posts[litestream]}")
echo "| CSV import of $(n "$n") contacts over HTTP (mean of 2 rounds) | $(n "$ia") rows/s ($(slash "${imports[alone]}")) | $(n "$il") rows/s ($(slash "${imports[litestream]}")) | $(py "print(f'{$il/$ia:.2f}')") |"
echo "| largest WAL during that import | $(slash "${wals[alone]}") MiB | $(slash "${wals[litestream]}") MiB | — |"
echo "| POST /v1/contacts, 64 connections, synchronous=FULL (mean of 2 rounds) | $(n "$pa") req/s ($(slash "${posts[alone]}")) | $(n "$pl") req/s ($(slash "${posts[litestream]}")) | $(py "print(f'{$pl/$pa:.2f}')") |"
echo "| RPO: acknowledged writes lost at a kill -9 under that POST load (3 kills) | — | the last $(slash "${rpos[*]}") s ($(slash "${losts[*]}") markers) | — |"
echo "| RTO: restore of $(n "$n") people ($db_mb MB) and start until the API answers (3 kills) | — | $(slash "${rtos[*]}") s (restore alone $(slash "${restores[*]}") s) | — |"
