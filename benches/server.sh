# Sourced by the scripts that start servers of their own (growth.sh, tenants.sh), with
# $port set: a scratch directory ($work) removed at exit with the server ($server), the
# release binary ($bin), and helpers.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d)
url=http://127.0.0.1:$port
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$root"
cargo build --release --quiet --bin switchboard
bin=target/release/switchboard
py() { python3 -c "$1"; }
n() { py "print(f'{$1:,}')"; }  # 1234567 -> 1,234,567
wait_for() { for _ in $(seq 100); do curl -fs "$1" >/dev/null && return; sleep 0.1; done; echo "no answer from $1"; exit 1; }
