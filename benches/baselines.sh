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
CREATE TABLE contacts (firstName TEXT, lastName TEXT, phoneNumber TEXT, email TEXT, gender TEXT,
                       birthDate TEXT, contactStage TEXT, tags TEXT, city TEXT, country TEXT);
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

# Stages the rows of CSV in DB for the floors below (untimed): table `stage` (the CSV's
# columns and `tag_names`, a JSON array), the account's tags, and `links` (contact_id is
# the row's rowid).
stage_rows() {
  sqlite3 "$2" >/dev/null <<SQL
CREATE TABLE stage (firstName, lastName, phoneNumber, email, gender, birthDate, contactStage, tags, city, country);
.mode csv
.import --skip 1 $1 stage
ALTER TABLE stage ADD COLUMN tag_names TEXT NOT NULL DEFAULT '[]';
UPDATE stage SET tag_names = json('["' || replace(tags, ';', '","') || '"]') WHERE tags <> '';
INSERT INTO tags (account_id, name) SELECT DISTINCT 1, j.value FROM stage, json_each(stage.tag_names) j;
CREATE TABLE links AS
  SELECT s.rowid AS contact_id, t.id AS tag_id FROM stage s, json_each(s.tag_names) j
  JOIN tags t ON t.account_id = 1 AND t.name = j.value ORDER BY 1, 2;
SQL
}

# SQLite's own floor for an import into the server's schema: the rows of a CSV from
# gen_contacts.py (every field of a real export) and their tag links, written by
# INSERT … SELECT from staged copies (staging untimed) into DB, a new Switchboard database
# whose account 1 receives them (foreign keys on, WAL, synchronous=FULL, one transaction). No parsing, validation or lookups: what the
# B-trees of the contacts table, its indexes and contact_tags cost alone.
# Usage: [PRAGMAS=sql] import_floor CSV DB ROWS (PRAGMAS: more pragmas for the timed
# insert). Prints rows/s.
import_floor() {
  local start end now
  stage_rows "$1" "$2"
  # Times as the import writes them (one per batch, all alike): 0 would be a shorter entry
  # in the narrow index, which carries the creation time.
  now=$(date +%s)
  start=$(date +%s.%N)
  sqlite3 "$2" >/dev/null <<SQL
PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; ${PRAGMAS:-}
BEGIN;
INSERT INTO contacts (id, account_id, type, name, first_name, last_name, phone, email, gender,
                      birth_date, contact_stage, a1, a2, tag_names, created_at, updated_at)
  SELECT rowid, 1, 0, firstName || ' ' || lastName, firstName, lastName, phoneNumber, email, gender,
         birthDate, contactStage, city, country, tag_names, $now, $now
  FROM stage ORDER BY rowid;
INSERT INTO contact_tags (contact_id, tag_id, type) SELECT contact_id, tag_id, 0 FROM links ORDER BY rowid;
COMMIT;
SQL
  end=$(date +%s.%N)
  python3 -c "print(f'{$3/($end-$start):.0f}')"
}
