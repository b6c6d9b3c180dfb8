#!/usr/bin/env bash
# Many tenants against one large one (issue 27): ACCOUNTS accounts of PEOPLE people each on
# one server, against one account of ACCOUNTS × PEOPLE people, both filled by
# `switchboard demo`. On each, wrk reads GET /v1/contacts/{id} for SECONDS (64
# connections; with many tenants each request uses the key of an account drawn in turn,
# benches/tenants.lua) and POSTs creates the same way; the table gives the rates, GET's
# p99 and the server's peak RSS, which takes in the per-account caches (keys, request
# counts, attribute names: docs/design.md, "Memory kept per account").
#
# Usage: benches/tenants.sh [ACCOUNTS] [PEOPLE] [SECONDS]   (defaults 1000 10000 10; needs
#        wrk, sqlite3, curl, python3; about 35 minutes on 2 cores at the defaults)
set -euo pipefail
accounts=${1:-1000}
people=${2:-10000}
secs=${3:-10}
port=${PORT:-18271}
. "$(dirname "$0")/server.sh"

# $1: database; reads and creates with the keys in $work/keys, and prints
# "GET rate|GET p99|POST rate|peak RSS".
measure() {
  $bin --db "$1" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  server=$!
  wait_for "$url/health"
  local get post
  get=$(SB_KEYS=$work/keys SB_PEOPLE=$2 wrk -t2 -c64 -d"${secs}s" --latency -s benches/tenants.lua "$url")
  post=$(SB_KEYS=$work/keys SB_POST=1 wrk -t2 -c64 -d"${secs}s" -s benches/tenants.lua "$url")
  if echo "$get$post" | grep -q Non-2xx; then echo "$get$post" >&2; exit 1; fi
  echo "$(echo "$get" | awk '/Requests\/sec/ {printf "%.0f", $2}')|$(echo "$get" | awk '/ 99%/ {print $2}')|$(echo "$post" | awk '/Requests\/sec/ {printf "%.0f", $2}')|$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$server/status")"
  kill $server; wait $server 2>/dev/null || true; server=
}

start=$(date +%s)
: > "$work/keys"
for a in $(seq "$accounts"); do
  $bin --db "$work/many.db" demo --contacts "$people" --email "tenant$a@example.com" --seed "$a" | tail -1 >> "$work/keys"
done
many_fill=$(( $(date +%s) - start ))
many=$(measure "$work/many.db" "$people")
rm -f "$work"/many.db*

start=$(date +%s)
$bin --db "$work/one.db" demo --contacts $((accounts * people)) --email one@example.com | tail -1 > "$work/keys"
one_fill=$(( $(date +%s) - start ))
one=$(measure "$work/one.db" $((accounts * people)))

IFS='|' read -r m_get m_p99 m_post m_rss <<<"$many"
IFS='|' read -r o_get o_p99 o_post o_rss <<<"$one"
echo
echo "Written by \`benches/tenants.sh $accounts $people $secs\` on $(date -u +%Y-%m-%d): $(nproc) cores."
echo
echo "| figure | $(n "$accounts") accounts of $(n "$people") | one account of $(n $((accounts * people))) |"
echo '| --- | --- | --- |'
echo "| \`demo\` filling the file | $many_fill s | $one_fill s |"
echo "| GET /v1/contacts/{id}, 64 connections | $(n "$m_get") req/s, p99 $m_p99 | $(n "$o_get") req/s, p99 $o_p99 |"
echo "| POST /v1/contacts, 64 connections | $(n "$m_post") req/s | $(n "$o_post") req/s |"
echo "| server peak RSS | $m_rss | $o_rss |"
