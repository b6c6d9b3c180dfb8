#!/usr/bin/env bash
# Generates a Python client from the release server's own /openapi.json with
# openapi-python-client, fails on any warning (a schema it drops is a route the client
# cannot call), then drives the server through that client (smoke.py): people, segments,
# templates, sends, broadcasts, imports and the dialects, each answer parsed into its model;
# and event webhooks, each request verified with the Standard Webhooks reference library.
# Needs Python 3 with pip (installs the pinned generator and the client's dependencies).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python3 -m pip install --quiet --disable-pip-version-check \
  openapi-python-client==0.29.1 httpx==0.28.1 attrs==25.4.0 python-dateutil==2.9.0.post0 \
  standardwebhooks==1.1.0 \
  2>&1 | grep -v "as the 'root' user" || true
cargo build --release --quiet
work=$(mktemp -d)
port=${PORT:-18183}
bin=target/release/switchboard
echo 'client check passphrase' | $bin --db "$work/sb.db" account create --email client@example.com --plan unlimited >/dev/null
key=$($bin --db "$work/sb.db" key create --email client@example.com | tail -1)
# Webhooks may reach 127.0.0.1: smoke.py receives them there.
RUST_LOG=warn $bin --bind "127.0.0.1:$port" --db "$work/sb.db" --default-region IN \
  --allow-private-webhook-urls >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -fs "$base/health" >/dev/null && break; sleep 0.2; done
curl -fs "$base/openapi.json" -o "$work/openapi.json"
(cd "$work" && openapi-python-client generate --path openapi.json --meta none \
  --config "$root/tests/client/config.yml" --output-path switchboard_client) >"$work/generate.log" 2>&1 \
  || { cat "$work/generate.log"; exit 1; }
if grep -qiE "warning|unable|failure|error" "$work/generate.log"; then
  echo "--- the generator did not take the whole description"; cat "$work/generate.log"; exit 1
fi
PYTHONPATH="$work" python3 tests/client/smoke.py "$base" "$key" \
  || { echo "--- server log"; tail -30 "$work/server.log"; exit 1; }
