#!/usr/bin/env bash
# Runs schemathesis against the release server's own /openapi.json: every check, with
# positive_data_acceptance replaced by rules.py's, which also knows each operation's
# x-rules-beyond-schema (see docs/api.md, "The API description"); up to MAX_EXAMPLES
# generated requests per operation and phase, on a fresh database with a little data at id 1.
# Needs Python 3 with pip (installs the pinned schemathesis).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python3 -m pip install --quiet --disable-pip-version-check schemathesis==4.32.5 2>&1 | grep -v "as the 'root' user" || true
cargo build --release --quiet
work=$(mktemp -d)
port=${PORT:-18182}
bin=target/release/switchboard
echo 'schemathesis passphrase' | $bin --db "$work/sb.db" account create --email fuzz@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email fuzz@example.com | tail -1)
RUST_LOG=warn $bin --bind "127.0.0.1:$port" --db "$work/sb.db" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -fs "$base/health" >/dev/null && break; sleep 0.2; done
api() { curl -fs -o /dev/null -H "x-api-key: $key" -H 'Content-Type: application/json' "$@"; }
# Something to find at id 1: the generated requests reach handlers past their 404s.
api -d '{"title":"Pune"}' "$base/v1/locations"
api -d '{"name":"Asha","phoneNumber":"+919876543210","tags":["vip"],"channelIds":{"telegram":"5"}}' "$base/v1/contacts"
api -d '{"name":"promo","language":"en","body":"Hi {{1}}"}' "$base/v1/templates"
api -d '{"name":"vips","criteria":{"tags":["vip"]}}' "$base/v1/segments"
api -d '{"contact":{"id":"1"},"textMessage":"hello"}' "$base/v1/messages/telegram/sendtext"
api -d '{"name":"b","segment":{"id":"1"},"channel":"telegram","textMessage":"Hi {{firstName}}"}' "$base/v1/broadcasts"
cd "$work"
export SCHEMATHESIS_HOOKS=rules PYTHONPATH="$root/tests/schemathesis"
schemathesis --config-file "$root/tests/schemathesis/schemathesis.toml" run "$base/openapi.json" -H "x-api-key: $key" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "${MAX_EXAMPLES:-50}" --seed "${SEED:-1}" --workers 1 --no-color \
  || { echo "--- server log"; tail -50 "$work/server.log"; exit 1; }
if grep -q "panicked" "$work/server.log"; then
  echo "--- the server panicked"; grep -A5 panicked "$work/server.log"; exit 1
fi
