#!/usr/bin/env bash
# What each index and insert trigger of the contacts table costs an import (issue 27):
# SQLite's floor for our schema (benches/baselines.sh, import_floor: INSERT … SELECT of N rows
# of benches/gen_contacts.py and their tag links, one transaction, synchronous=FULL) on a
# fresh database, then the same with one object dropped, one row per object, and with the
# writer's page cache raised. Every object is read from the schema, so the table follows it.
#
# Usage: benches/import_costs.sh [N]   (default 1,000,000; needs sqlite3, python3; prints a
#        Markdown table)
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard
bin=target/release/switchboard
python3 benches/gen_contacts.py "$n" > "$work/contacts.csv"
echo 'benchmark passphrase' | $bin --db "$work/empty.db" account create --email floor@example.com --plan unlimited >/dev/null
sqlite3 "$work/empty.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
# Prints the floor's rows/s on a copy of the fresh database after the SQL in $1.
floor() {
  rm -f "$work"/v.db*
  cp "$work/empty.db" "$work/v.db"
  [ -z "$1" ] || sqlite3 "$work/v.db" "$1"
  PRAGMAS=${2:-} import_floor "$work/contacts.csv" "$work/v.db" "$n"
}
. benches/baselines.sh
py() { python3 -c "$1"; }
us() { py "print(f'{1e6 / $1:.2f}')"; }
all=$(floor "")
echo "Written by \`benches/import_costs.sh $n\` on $(date -u +%Y-%m-%d), $(nproc) cores: each row is the floor"
echo "with that one object dropped; its cost is the time per row it adds to the floor."
echo
echo '| contacts table as the schema has it, less | floor rows/s | µs per row | cost of the object, µs per row |'
echo '| --- | --- | --- | --- |'
echo "| nothing | $(py "print(f'{$all:,}')") | $(us "$all") | — |"
objects=$(sqlite3 "$work/empty.db" "SELECT type || ' ' || name FROM sqlite_master
  WHERE tbl_name = 'contacts' AND (type = 'index' AND name NOT LIKE 'sqlite_%'
     OR type = 'trigger' AND sql LIKE '%AFTER INSERT ON contacts%') ORDER BY type, name")
drop_all=
while read -r type name; do
  rate=$(floor "DROP ${type^^} $name")
  drop_all+="DROP ${type^^} $name;"
  echo "| $type \`$name\` | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(py "print(f'{1e6 / $all - 1e6 / $rate:.2f}')") |"
done <<<"$objects"
rate=$(floor "$drop_all")
echo "| every index and insert trigger above | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(py "print(f'{1e6 / $all - 1e6 / $rate:.2f}')") |"
rate=$(floor "" "PRAGMA cache_size = -65536;")
echo "| nothing, with a 64 MiB page cache (2 MiB otherwise) | $(py "print(f'{$rate:,}')") | $(us "$rate") | $(py "print(f'{1e6 / $all - 1e6 / $rate:.2f}')") |"
