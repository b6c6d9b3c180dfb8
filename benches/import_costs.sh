#!/usr/bin/env bash
# What each index and insert trigger of the contacts table costs an import (issue 27):
# SQLite's floor for our schema (benches/baselines.sh, import_floor: INSERT … SELECT of N rows
# of benches/gen_contacts.py and their tag links, one transaction, synchronous=FULL) on a
# fresh database, then the same with one object dropped, one row per object, and with the
# writer's page cache raised. Every object is read from the schema, so the table follows it.
# Then the floor cut as the server's import writes (statements of one batch, transactions
# of a series: src/contacts/import.rs, src/db/writer.rs), and with the counters the import
# keeps beside the rows: what SQLite itself does at best with the import's own shape, and
# that cut without the phone index, whose keys arrive in no order.
#
# Usage: [ROUNDS=3] benches/import_costs.sh [N]   (default 1,000,000; needs sqlite3,
#        python3; prints a Markdown table; each figure is the median of ROUNDS runs)
set -euo pipefail
n=${1:-1000000}
rounds=${ROUNDS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard
bin=target/release/switchboard
python3 benches/gen_contacts.py "$n" > "$work/contacts.csv"
echo 'benchmark passphrase' | $bin --db "$work/empty.db" account create --email floor@example.com --plan unlimited >/dev/null
sqlite3 "$work/empty.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
. benches/baselines.sh
py() { python3 -c "$1"; }
us() { py "print(f'{1e6 / $1:.2f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The import's batch and series, as the server has them.
batch=$(grep -oP 'const BATCH: usize = \K[0-9_]+' src/contacts/import.rs | tr -d _)
series=$(grep -oP 'pub const MAX_SERIES: usize = \K[0-9]+' src/db/writer.rs)
# Prints the floor's rows/s on a copy of the fresh database after the SQL in $1 (median of
# ROUNDS runs); CUT=1 writes the rows as the import does, COUNT=1 with its counters.
floor() {
  local rates=()
  for _ in $(seq "$rounds"); do
    rm -f "$work"/v.db*
    cp "$work/empty.db" "$work/v.db"
    [ -z "$1" ] || sqlite3 "$work/v.db" "$1"
    if [ -n "${CUT:-}" ]; then
      rates+=("$(cut_floor "$work/contacts.csv" "$work/v.db" "$n")")
    else
      rates+=("$(PRAGMAS=${2:-} import_floor "$work/contacts.csv" "$work/v.db" "$n")")
    fi
  done
  median "${rates[@]}"
}
# import_floor's rows and links, BATCH rows to a statement and MAX_SERIES batches to a
# transaction, the page cache and temp store the writer has; COUNT=1 also adds each batch
# to the counters (one upsert per birth date, stage and gender in it). Prints rows/s.
cut_floor() {
  local start end i sql="$work/cut.sql" now
  now=$(date +%s)
  stage_rows "$1" "$2"
  sqlite3 "$2" 'CREATE INDEX links_by_contact ON links (contact_id)'
  {
    echo "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;"
    for ((i = 0; i < $3; i += batch)); do
      (( i / batch % series == 0 )) && echo "BEGIN;"
      local range="rowid > $i AND rowid <= $((i + batch))"
      echo "INSERT INTO contacts (id, account_id, type, name, first_name, last_name, phone, email, gender,
              birth_date, contact_stage, a1, a2, tag_names, created_at, updated_at)
        SELECT rowid, 1, 0, firstName || ' ' || lastName, firstName, lastName, phoneNumber, email,
               gender, birthDate, contactStage, city, country, tag_names, $now, $now
        FROM stage WHERE $range ORDER BY rowid;
      INSERT INTO contact_tags (contact_id, tag_id, type)
        SELECT contact_id, tag_id, 0 FROM links WHERE contact_id > $i AND contact_id <= $((i + batch))
        ORDER BY contact_id, tag_id;"
      [ -z "${COUNT:-}" ] || echo "
      INSERT INTO birth_date_counts SELECT 1, 0, birthDate, count(*) FROM stage
        WHERE $range AND birthDate <> '' GROUP BY birthDate ON CONFLICT DO UPDATE SET n = n + excluded.n;
      INSERT INTO stage_gender_counts SELECT 1, 0, contactStage, gender, count(*) FROM stage
        WHERE $range GROUP BY contactStage, gender ON CONFLICT DO UPDATE SET n = n + excluded.n;"
      (( (i / batch + 1) % series == 0 || i + batch >= $3 )) && echo "COMMIT;"
    done
  } >"$sql"
  start=$(date +%s.%N)
  sqlite3 "$2" <"$sql" >/dev/null
  end=$(date +%s.%N)
  py "print(f'{$3/($end-$start):.0f}')"
}
all=$(floor "")
echo "Written by \`benches/import_costs.sh $n\` on $(date -u +%Y-%m-%d), $(nproc) cores, median of $rounds"
echo "runs each: each row is the floor with that one object dropped; its cost is the time per"
echo "row it adds to the floor. The last rows cut the floor as the import writes it."
echo
echo '| contacts table as the schema has it, less | floor rows/s | µs per row | cost of the object, µs per row |'
echo '| --- | --- | --- | --- |'
echo "| nothing | $(py "print(f'{$all:,}')") | $(us "$all") | — |"
objects=$(sqlite3 "$work/empty.db" "SELECT type || ' ' || name FROM sqlite_master
  WHERE tbl_name = 'contacts' AND (type = 'index' AND name NOT LIKE 'sqlite_%'
     OR type = 'trigger' AND sql LIKE '%AFTER INSERT ON contacts%') ORDER BY type, name")
drop_all=
cost() { py "print(f'{1e6 / $all - 1e6 / $1:.2f}')"; }
while read -r type name; do
  [ -n "$type" ] || continue
  rate=$(floor "DROP ${type^^} $name")
  drop_all+="DROP ${type^^} $name;"
  echo "| $type \`$name\` | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(cost "$rate") |"
done <<<"$objects"
rate=$(floor "$drop_all")
echo "| every index and insert trigger above | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(cost "$rate") |"
rate=$(floor "" "PRAGMA cache_size = -65536;")
echo "| nothing, with a 64 MiB page cache (2 MiB otherwise) | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(cost "$rate") |"
# These add work: their cost is what they add to the floor's time per row.
adds() { py "print(f'{1e6 / $1 - 1e6 / $all:.2f}')"; }
rate=$(CUT=1 floor "")
echo "| nothing, cut as the import writes ($batch rows to a statement, $series batches to a transaction, 8 MiB cache): adds | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(adds "$rate") |"
rate=$(CUT=1 COUNT=1 floor "")
echo "| the same, and the counters per batch (birth dates, stages and genders): adds | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(adds "$rate") |"
rate=$(CUT=1 floor "DROP INDEX contacts_by_phone")
echo "| cut as the import writes, less index \`contacts_by_phone\`: adds | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(adds "$rate") |"
