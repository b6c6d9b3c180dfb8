#!/usr/bin/env bash
# The README's walk-through, against a server you started (`cargo run --release`) on a new
# database: sign up as the owner, make a key, then a contact, a segment, a message and a
# broadcast, printing each answer. Needs curl and python3.
# Usage: examples/walkthrough.sh [BASE_URL]      (default http://127.0.0.1:8080)
set -euo pipefail
URL=${1:-http://127.0.0.1:8080}
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
say() { printf '\n# %s\n' "$1"; }

say "Sign up as the owner (a new database's first account owns the server)"
curl -sf -c "$jar" -H 'Content-Type: application/json' \
  -d '{"email":"owner@example.com","password":"a long passphrase"}' "$URL/admin/api/signup"
say "Make an API key: shown once"
KEY=$(curl -sf -b "$jar" -H 'Content-Type: application/json' -d '{"name":"walkthrough"}' \
  "$URL/admin/api/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
echo "${KEY:0:14}…"
api() { curl -sf -H "x-api-key: $KEY" -H 'Content-Type: application/json' "$@"; echo; }

say "A contact, with tags and custom attributes"
api "$URL/v1/contacts" -d '{"name": "Asha Rao", "phoneNumber": "+91 98765 43210",
  "channelIds": {"telegram": "551234"}, "tags": ["vip"], "attributes": {"city": "Pune", "orders": 7}}'
say "A segment: a live rule, counted at every read"
api "$URL/v1/segments" -d '{"name": "Pune VIPs", "criteria": {"tags": ["vip"]},
  "groups": [{"conditions": [{"attribute": "city", "operator": "is", "value": "Pune"}]}]}'
say "A message on Telegram (the sandbox marks it sent), then her log"
api "$URL/v1/messages/telegram/sendtext" -d '{"contact": {"id": "1"}, "textMessage": "Your order ships today"}'
sleep 1
api "$URL/v1/messages/1"
say "A broadcast to the segment, then its stats"
api "$URL/v1/broadcasts" -d '{"name": "Diwali sale", "segment": {"id": "1"}, "channel": "telegram",
  "textMessage": "Hi {{firstName|there}}, 20% off today"}'
sleep 2
api "$URL/v1/broadcasts/1"
