#!/usr/bin/env bash
# How to store custom attributes (issue 3): 1,000,000 contacts with five attributes each, in
# three representations, counting the same rules in each. Prints sqlite3's run times.
#   key/value: contact_attributes(contact_id, key_id, value), index on (key_id, value, contact_id)
#   JSON:      an attributes TEXT column, read with ->>
#   columns:   one value column per attribute (what Switchboard does: a1..a64)
# Usage: benches/attributes.sh        (needs sqlite3 ≥ 3.38; ~1 minute)
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=1000000

sqlite3 "$work/eav.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
CREATE TABLE contacts (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, name TEXT);
CREATE TABLE contact_attributes (contact_id INTEGER NOT NULL, key_id INTEGER NOT NULL, value ANY COLLATE NOCASE,
  PRIMARY KEY (contact_id, key_id)) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $n) INSERT INTO contacts SELECT i, 1, 'name'||i FROM n;
INSERT INTO contact_attributes SELECT id, 1, 'Country'||(abs(random())%20) FROM contacts;
INSERT INTO contact_attributes SELECT id, 2, 'City'||(abs(random())%200) FROM contacts;
INSERT INTO contact_attributes SELECT id, 3, abs(random())%50 FROM contacts;
INSERT INTO contact_attributes SELECT id, 4, abs(random())%2 FROM contacts;
INSERT INTO contact_attributes SELECT id, 5, CASE abs(random())%3 WHEN 0 THEN 'free' WHEN 1 THEN 'pro' ELSE 'team' END FROM contacts;
CREATE INDEX attr_by_value ON contact_attributes (key_id, value, contact_id);
ANALYZE;
SQL

sqlite3 "$work/json.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
CREATE TABLE contacts (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, name TEXT, attrs TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $n)
INSERT INTO contacts SELECT i, 1, 'name'||i, json_object('country','Country'||(abs(random())%20),'city','City'||(abs(random())%200),
  'orders',abs(random())%50,'member',abs(random())%2,'plan',CASE abs(random())%3 WHEN 0 THEN 'free' WHEN 1 THEN 'pro' ELSE 'team' END) FROM n;
SQL

sqlite3 "$work/columns.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
CREATE TABLE contacts (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, type INTEGER NOT NULL, name TEXT, phone TEXT,
  email TEXT, stage TEXT, created_at INTEGER, a1 COLLATE NOCASE, a2 COLLATE NOCASE, a3, a4, a5 COLLATE NOCASE);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < $n)
INSERT INTO contacts SELECT i, 1, 0, 'Firstname Lastname'||i, '+9198'||(10000000+i), 'user'||i||'@example.com', 'Subscriber',
  1790000000+i, 'Country'||(abs(random())%20), 'City'||(abs(random())%200), abs(random())%50, abs(random())%2,
  CASE abs(random())%3 WHEN 0 THEN 'free' WHEN 1 THEN 'pro' ELSE 'team' END FROM n;
CREATE INDEX c_acct ON contacts (account_id, type, id);
ANALYZE;
SQL

run() { printf '.timer on\n%s;\n' "$2" | sqlite3 "$1" | grep 'Run Time' | awk '{printf "%6.0f ms", $4*1000}'; }
declare -A q
q[eav,1]="SELECT count(*) FROM contact_attributes WHERE key_id=1 AND value='country7'"
q[eav,3]="SELECT count(*) FROM contact_attributes a WHERE a.key_id=1 AND a.value='country7' AND EXISTS (SELECT 1 FROM contact_attributes b WHERE b.contact_id=a.contact_id AND b.key_id=3 AND b.value>5) AND EXISTS (SELECT 1 FROM contact_attributes c WHERE c.contact_id=a.contact_id AND c.key_id=4 AND c.value=1)"
q[eav,c]="SELECT count(*) FROM contact_attributes WHERE key_id=2 AND value LIKE '%ty1%'"
q[eav,5]="SELECT count(*) FROM contact_attributes a WHERE a.key_id=5 AND a.value<>'free' AND EXISTS (SELECT 1 FROM contact_attributes b WHERE b.contact_id=a.contact_id AND b.key_id=4 AND b.value=1) AND EXISTS (SELECT 1 FROM contact_attributes b WHERE b.contact_id=a.contact_id AND b.key_id=3 AND b.value>=3) AND EXISTS (SELECT 1 FROM contact_attributes b WHERE b.contact_id=a.contact_id AND b.key_id=2 AND b.value LIKE 'city1%') AND EXISTS (SELECT 1 FROM contact_attributes b WHERE b.contact_id=a.contact_id AND b.key_id=1 AND b.value IN ('country1','country2','country3'))"
q[json,1]="SELECT count(*) FROM contacts WHERE attrs->>'country'='Country7'"
q[json,3]="SELECT count(*) FROM contacts WHERE attrs->>'country'='Country7' AND attrs->>'orders'>5 AND attrs->>'member'=1"
q[json,c]="SELECT count(*) FROM contacts WHERE attrs->>'city' LIKE '%ty1%'"
q[json,5]="SELECT count(*) FROM contacts WHERE attrs->>'plan'<>'free' AND attrs->>'member'=1 AND attrs->>'orders'>=3 AND attrs->>'city' LIKE 'city1%' AND attrs->>'country' IN ('Country1','Country2','Country3')"
q[columns,1]="SELECT count(*) FROM contacts WHERE account_id=1 AND type=0 AND a1='country7'"
q[columns,3]="SELECT count(*) FROM contacts WHERE account_id=1 AND type=0 AND a1='country7' AND a3>5 AND a4=1"
q[columns,c]="SELECT count(*) FROM contacts WHERE account_id=1 AND type=0 AND a2 LIKE '%ty1%'"
q[columns,5]="SELECT count(*) FROM contacts WHERE account_id=1 AND type=0 AND a5<>'free' AND a4=1 AND a3>=3 AND a2 LIKE 'city1%' AND a1 IN ('country1','country2','country3')"

printf '| representation | 1 selective condition | 3 conditions | contains | 5 conditions |\n| --- | --- | --- | --- | --- |\n'
for r in eav json columns; do
  printf '| %s | %s | %s | %s | %s |\n' "$r" "$(run "$work/$r.db" "${q[$r,1]}")" "$(run "$work/$r.db" "${q[$r,3]}")" \
    "$(run "$work/$r.db" "${q[$r,c]}")" "$(run "$work/$r.db" "${q[$r,5]}")"
done
