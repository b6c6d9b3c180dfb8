#!/usr/bin/env bash
# Where a contact read's time goes (README, "Measured"): GET /v1/contacts/{id} under
# wrk -t2 -c64 on a database of N demo people, with each HTTP worker count given, and the
# actix-web hello-world (benches/tools/hello.rs) driven by the same wrk script. For each:
# requests/s, the CPU time a request costs the server (user + system, from /proc/PID/stat)
# and wrk (from bash's `time`), and the server's context switches a request (summed over
# its threads). On a machine wrk saturates, the rate is the cores over the two CPU times.
# ROUNDS=k repeats the table k times, so the servers alternate on a drifting machine.
#
# Usage: [ROUNDS=k] benches/reads.sh [N] [SECONDS] [WORKERS...]   (defaults 200000, 8,
#        6 2 1; needs wrk, curl, python3)
set -euo pipefail
n=${1:-200000}
secs=${2:-8}
shift $(($# < 2 ? $# : 2))
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(6 2 1)
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
  wrk -t2 -c64 -d2s "$@" "$url" >/dev/null  # warm the caches
  c0=$(cpu); s0=$(switches)
  { time wrk -t2 -c64 -d"${secs}s" "$@" "$url" >"$work/wrk.txt"; } 2>"$work/time.txt"
  c1=$(cpu); s1=$(switches)
  python3 - "$name" "$c0" "$c1" "$s0" "$s1" "$(getconf CLK_TCK)" "$work" <<'PY'
import sys
name, (c0, c1, s0, s1, tck), work = sys.argv[1], map(float, sys.argv[2:7]), sys.argv[7]
out = open(f"{work}/wrk.txt").read().splitlines()
done = int(next(l for l in out if "requests in" in l).split()[0])
rate = float(next(l for l in out if l.startswith("Requests/sec")).split()[1])
wrk = sum(map(float, open(f"{work}/time.txt").read().split()))
print(f"| {name} | {rate:,.0f} | {(c1 - c0) / tck / done * 1e6:.1f} | "
      f"{wrk / done * 1e6:.1f} | {(s1 - s0) / done:.3f} |")
PY
}

TIMEFORMAT='%U %S'
echo '| server | req/s | server CPU µs a request | wrk CPU µs a request | context switches a request |'
echo '| --- | --- | --- | --- | --- |'
for _ in $(seq "${ROUNDS:-1}"); do
  for workers in "${counts[@]}"; do
    RUST_LOG=warn $bin --db "$work/sb.db" --bind "127.0.0.1:$port" --workers "$workers" >"$work/server.log" 2>&1 &
    pid=$!
    measure "GET /v1/contacts/{id}, --workers $workers" "http://127.0.0.1:$port/health" -s benches/get.lua
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
  target/release/examples/hello "$port" &
  pid=$!
  measure 'hello-world, one worker a core, same script' "http://127.0.0.1:$port/hello" -s benches/get.lua
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
pid=
