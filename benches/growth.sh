#!/usr/bin/env bash
# Growth of one account from N1 to N2 people (issue 27): for each size a fresh database
# filled by `switchboard demo --contacts N`, one release server, and the figures that must
# hold as an account grows, printed as one Markdown table of N1 against N2:
#
#  - demo's time to fill the file, and the file's size per million people;
#  - GET /v1/contacts/{id} (wrk -t2 -c64, SECONDS, as suite.sh);
#  - /count from counters (tag vip; Female and Lead; age 30 to 40), of the five
#    custom-attribute conditions and of the eleven rules of benches/rules.sh (median of 11);
#    their answers are checked against count(*) by suite.sh, not here (a plain copy of ten
#    million people would double the run);
#  - POST /v1/contacts (as GET), after the counts, which thus read exactly N people;
#  - the fan-out of a broadcast to everyone (unpaced sandbox), cancelled once queued so its
#    sends do not load the figures after it;
#  - CSV import of M contacts shaped like a real export (benches/gen_contacts.py) into a
#    second account, the same file at both sizes;
#  - the server's peak RSS (VmHWM) over all of that.
#
# Usage: benches/growth.sh [N1] [N2] [SECONDS] [M]   (defaults 1000000 10000000 10 1000000;
#        needs wrk, sqlite3, curl, python3; about 25 minutes on 2 cores at the defaults)
set -euo pipefail
n1=${1:-1000000}
n2=${2:-10000000}
secs=${3:-10}
m=${4:-1000000}
port=${PORT:-18261}
. "$(dirname "$0")/server.sh"
rate() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
# The rate of wrk running script $1 against the server; any answer but a 2xx ends the run.
load() {
  wrk -t2 -c64 -d"${secs}s" -s "$1" "$url" > "$work/wrk.txt"
  if grep -q Non-2xx "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
  rate < "$work/wrk.txt"
}
. benches/rules.sh
python3 benches/gen_contacts.py "$m" > "$work/contacts.csv"

declare -A fig   # fig[size,name] = value
names=()         # figure names, in order
put() { [[ " ${names[*]} " == *" $2 "* ]] || names+=("$2"); fig[$1,$2]=$3; }

for size in "$n1" "$n2"; do
  rm -f "$work"/sb.db*
  start=$(date +%s.%N)
  key=$($bin --db "$work/sb.db" demo --contacts "$size" --email bench@example.com | tail -1)
  put "$size" demo_s "$(py "print(f'{$(date +%s.%N)-$start:.0f} s')")"
  bytes=$(sqlite3 "$work/sb.db" "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
  put "$size" size "$(py "print(f'{$bytes/1048576:,.0f} MB ({$bytes/1048576/($size/1e6):,.0f} MB per million)')")"
  RUST_LOG=warn,switchboard::delivery::worker=info $bin --db "$work/sb.db" --bind "127.0.0.1:$port" --broadcast-rate 0 \
    >"$work/server.log" 2>&1 &
  server=$!
  wait_for "$url/health"
  export SB_KEY=$key SB_PEOPLE=$size
  put "$size" get "$(n "$(load benches/get.lua)") req/s"
  api() { curl -fs -H "x-api-key: $key" -H 'Content-Type: application/json' "$@"; }
  counts=()
  for case in "${cases[@]}"; do
    IFS='|' read -r kind name conditions _ <<<"$case"
    counts+=("$kind: $name|$conditions")
  done
  for rule in "${rules[@]}"; do counts+=("rule: ${rule%|*}"); done
  for case in "${counts[@]}"; do
    IFS='|' read -r name conditions <<<"$case"
    id=$(api -d "{\"name\":\"$name\",\"groups\":[{\"conditions\":[$conditions]}]}" "$url/v1/segments" \
      | py 'import json,sys; print(json.load(sys.stdin)["id"])')
    ms=$(for _ in $(seq 11); do curl -s -o /dev/null -w '%{time_total}\n' -H "x-api-key: $key" "$url/v1/segments/$id/count"; done \
      | sort -n | sed -n 6p | awk '{printf "%.1f", $1*1000}')
    put "$size" "/count, $name" "$ms ms"
  done
  # After the counts, which are measured at exactly N people.
  put "$size" post "$(n "$(load benches/post.lua)") req/s"
  api -d '{"name":"promo","language":"en","body":"Hi {{1}}, use code {{2}}"}' "$url/v1/templates" >/dev/null
  everyone=$(api -d "{\"name\":\"everyone\",\"groups\":[{\"conditions\":[$(cond phoneNumber starts_with '"+91"')]}]}" "$url/v1/segments" \
    | py 'import json,sys; print(json.load(sys.stdin)["id"])')
  bid=$(api -d "{\"name\":\"bench\",\"segment\":{\"id\":\"$everyone\"},\"channel\":\"whatsapp\",\"template\":{\"name\":\"promo\",\"language\":\"en\"},\"bodyTextParameters\":[\"{{firstName|there}}\",\"FREESHIP\"]}" \
    "$url/v1/broadcasts" | py 'import json,sys; print(json.load(sys.stdin)["id"])')
  for _ in $(seq 6000); do grep -q "broadcast $bid: fanned out" "$work/server.log" && break; sleep 0.1; done
  api -X POST "$url/v1/broadcasts/$bid/cancel" >/dev/null
  read -r queued ms <<<"$(grep "broadcast $bid: fanned out" "$work/server.log" \
    | sed 's/.*fanned out, \([0-9]*\) messages queued in \([0-9]*\) ms/\1 \2/')"
  put "$size" fanout "$(n "$(py "print(round($queued / ($ms / 1000)))")") recipients/s ($(n "$queued") queued)"
  echo 'benchmark passphrase' | $bin --db "$work/sb.db" account create --email import@example.com --plan unlimited >/dev/null
  import_key=$($bin --db "$work/sb.db" key create --email import@example.com | tail -1)
  start=$(date +%s.%N)
  created=$(curl -s -H "x-api-key: $import_key" -H 'Content-Type: text/csv' --data-binary "@$work/contacts.csv" "$url/v1/contacts/import" \
    | py 'import json,sys; print(json.load(sys.stdin)["created"])')
  [ "$created" = "$m" ] || { echo "the import created $created of $m"; exit 1; }
  put "$size" import "$(n "$(py "print(round($m / ($(date +%s.%N) - $start)))")") rows/s"
  put "$size" rss "$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$server/status")"
  kill $server; wait $server 2>/dev/null || true; server=
  echo "$(n "$size") people done" >&2
done

# The second figure over the first, each read from its leading number.
ratio() {
  python3 -c 'import re, sys
f = lambda s: float(re.match(r"[0-9,.]+", s).group().replace(",", ""))
print(f"{f(sys.argv[2]) / max(f(sys.argv[1]), 1e-9):.2f}")' "$1" "$2"
}
label() {
  case $1 in
    demo_s) echo "\`demo\` filling the file" ;;
    size) echo 'database size' ;;
    get) echo 'GET /v1/contacts/{id}, 64 connections' ;;
    post) echo 'POST /v1/contacts, 64 connections, synchronous=FULL' ;;
    fanout) echo 'broadcast fan-out to everyone' ;;
    import) echo "CSV import of $(n "$m") contacts into a second account" ;;
    rss) echo 'server peak RSS' ;;
    *) echo "$1" ;;
  esac
}
echo
echo "Written by \`benches/growth.sh $n1 $n2 $secs $m\` on $(date -u +%Y-%m-%d): $(nproc) cores."
echo
echo "| figure | $(n "$n1") people | $(n "$n2") people | ratio |"
echo '| --- | --- | --- | --- |'
for name in "${names[@]}"; do
  a=${fig[$n1,$name]} b=${fig[$n2,$name]}
  echo "| $(label "$name") | $a | $b | $(ratio "$a" "$b") |"
done
