#!/usr/bin/env bash
# Instructions a contact read costs the server (README, "Measured"): the release server
# with one worker runs under callgrind on a database of N demo people, wrk -t1 -c4 sends
# GET /v1/contacts/{id} (a new id per request) for SECONDS, and the instructions executed
# in user space while it did, divided by the requests answered, are printed; then the same
# for the actix-web hello-world (benches/tools/hello.rs) under the same script. Instruction
# counts hardly move with the machine's load, unlike requests per second; they leave out
# the kernel (sockets, pread, fcntl).
#
# Usage: [BIN=build] benches/instructions.sh [N] [SECONDS]   (defaults 200000, 10; needs
#        valgrind, wrk, curl)
set -euo pipefail
n=${1:-200000}
secs=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18251}
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard --example hello
bin=${BIN:-target/release/switchboard}  # BIN=another build, to compare versions
key=$($bin --db "$work/sb.db" demo --contacts "$n" --email bench@example.com | tail -1)
export SB_KEY=$key SB_PEOPLE=$n  # for benches/get.lua

count() {  # count NAME PROBE COMMAND...: instructions a request of the server COMMAND starts
  local name=$1 probe=$2 out done total; shift 2
  rm -f "$work"/cg.*
  RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$work/cg.%p" "$@" >"$work/valgrind.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -fs -o /dev/null "http://127.0.0.1:$port$probe" && break; sleep 0.2; done
  wrk -t1 -c4 -d3s -s benches/get.lua "http://127.0.0.1:$port" >/dev/null  # warm the caches
  callgrind_control -i on "$pid" >/dev/null 2>&1
  out=$(wrk -t1 -c4 -d"${secs}s" -s benches/get.lua "http://127.0.0.1:$port")
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=
  done=$(echo "$out" | awk '/requests in/ {print $1}')
  total=$(cat "$work"/cg.* | awk '/^totals:/ {s += $2} END {print s}')
  echo "$name: $done requests, $((total / done)) instructions a request"
}

count 'GET /v1/contacts/{id}, --workers 1' /health \
  $bin --db "$work/sb.db" --bind "127.0.0.1:$port" --workers 1
count 'hello-world, same script' /hello target/release/examples/hello "$port"
