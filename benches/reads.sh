#!/usr/bin/env bash
# Where a contact read's time goes (README, "Measured"): GET /v1/contacts/{id} under
# wrk -t2 -c64 on a database of N demo people, with two HTTP workers and with one, and the
# actix-web hello-world (examples/hello.rs) driven by the same wrk script. For each: requests/s, the server's CPU
# time per request (user + system, from /proc/PID/stat) and its context switches per
# request (summed over its threads).
#
# Usage: benches/reads.sh [N] [SECONDS]   (defaults 200000, 8; needs wrk, curl, python3)
set -euo pipefail
n=${1:-200000}
secs=${2:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18241}
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard --example hello
bin=target/release/switchboard
key=$($bin --db "$work/sb.db" demo --contacts "$n" --email bench@example.com | tail -1)
export SB_KEY=$key SB_PEOPLE=$n  # for benches/get.lua

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # clock ticks
switches() { cat /proc/"$pid"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }
measure() {  # measure NAME URL [wrk args]: the server is $pid, URL answers once it is up
  local name=$1 url=$2 c0 s0 out c1 s1; shift 2
  for _ in $(seq 100); do curl -fs -o /dev/null "$url" && break; sleep 0.1; done
  c0=$(cpu); s0=$(switches)
  out=$(wrk -t2 -c64 -d"${secs}s" "$@" "$url")
  c1=$(cpu); s1=$(switches)
  python3 - "$name" "$c0" "$c1" "$s0" "$s1" "$(getconf CLK_TCK)" <<PY
import sys
name, c0, c1, s0, s1, tck = sys.argv[1], *map(float, sys.argv[2:])
out = """$out"""
done = int(next(l for l in out.splitlines() if "requests in" in l).split()[0])
rate = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])
print(f"| {name} | {rate:,.0f} | {(c1 - c0) / tck / done * 1e6:.1f} | {(s1 - s0) / done:.3f} |")
PY
}

echo '| server | req/s | server CPU µs a request | context switches a request |'
echo '| --- | --- | --- | --- |'
for workers in 2 1; do
  RUST_LOG=warn $bin --db "$work/sb.db" --bind "127.0.0.1:$port" --workers "$workers" >"$work/server.log" 2>&1 &
  pid=$!
  measure "GET /v1/contacts/{id}, --workers $workers" "http://127.0.0.1:$port/health" -s benches/get.lua
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
target/release/examples/hello "$port" &
pid=$!
measure 'hello-world, one worker a core (2), same script' "http://127.0.0.1:$port/hello" -s benches/get.lua
