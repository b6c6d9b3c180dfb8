# Baselines shared by the benchmark scripts (sourced, not run). Each runs sqlite3 on a plain
# table, as the figure it stands beside is described, and prints its figure.

# sqlite3 .import of a CSV from gen_contacts.py into a plain table with a unique index on
# phone (WAL, synchronous=FULL, as the server runs). Usage: import_baseline CSV DB ROWS.
# Prints rows/s.
import_baseline() {
  local start end
  start=$(date +%s.%N)
  sqlite3 "$2" >/dev/null <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
CREATE TABLE contacts (phoneNumber TEXT, email TEXT, tags TEXT, city TEXT, orders TEXT, member TEXT);
CREATE UNIQUE INDEX contacts_phone ON contacts (phoneNumber);
.mode csv
.import --skip 1 $1 contacts
SQL
  end=$(date +%s.%N)
  python3 -c "print(f'{$3/($end-$start):.0f}')"
}

# A broadcast's fan-out as one INSERT … SELECT: a message row of the server's shape for each
# row of the table `people` in DB, into a table with an index on contact_id.
# Usage: fanout_baseline DB. Prints the seconds it took.
fanout_baseline() {
  sqlite3 "$1" <<SQL
CREATE TABLE messages (id INTEGER PRIMARY KEY, account_id, contact_id, channel, incoming, kind,
                       sent_by, status, broadcast_id, created_at, updated_at);
CREATE INDEX messages_by_contact ON messages (contact_id, id);
SQL
  printf '.timer on\nINSERT INTO messages (account_id, contact_id, channel, incoming, kind, sent_by, status, broadcast_id, created_at, updated_at) SELECT 1, rowid, %s, 0, %s, %s, 1, 1, 0, 0 FROM people;\n' "'whatsapp'" "'template'" "'broadcast'" \
    | sqlite3 "$1" | awk '/Run Time/ {print $4}'
}
