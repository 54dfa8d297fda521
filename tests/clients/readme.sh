#!/usr/bin/env bash
# Runs every shell example of the README's API sections (from "## Access" to "## Layout"), in
# order, in bash, as a newcomer would: against a server of its own whose database holds the demo
# set (`seed --demo`). Every curl must answer 2xx, and afterwards no party, person or opportunity
# may exist twice: the examples find the demo's data instead of creating it again.
# Usage: readme.sh README INVESTDESK_BINARY
set -euo pipefail
readme=$1
binary=$2
work=$(mktemp -d)
script=$work/readme.bash
count_file=$work/count
touch "$count_file"
export INVESTDESK_DATABASE_URL="$work/readme.db"
"$binary" seed --demo 2> "$work/seed.log" || { cat "$work/seed.log" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" serve --listen "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
export API="http://127.0.0.1:$port"
for _ in $(seq 1 50); do command curl -sf "$API/readyz" >/dev/null && break; sleep 0.1; done

awk '/^## Access/{on=1} /^## Layout/{on=0} on && /^```bash$/{inside=1; next} inside && /^```$/{inside=0; print ""; next} on && inside' "$readme" \
  | sed "s#cargo run --release --#\"$binary\"#g" > "$script"
[ -s "$script" ] || { echo "no bash examples found in $readme" >&2; exit 1; }
curl() {
  echo x >> "$COUNT_FILE"
  command curl --fail-with-body --max-time 20 "$@"
}
export -f curl
export COUNT_FILE=$count_file
bash -euo pipefail "$script" > /dev/null 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }

# Nothing the demo holds was created again.
officer=$("$binary" api-keys create --role officer --name readme-check 2>/dev/null)
duplicates() {
  command curl -sf -H "Authorization: Bearer $officer" "$API/$1?limit=100" \
    | jq -r "[.items[].$2] | group_by(.) | map(select(length > 1) | .[0]) | .[]"
}
for list in "v1/parties name" "v1/people name" "v1/opportunities title" "v1/initiatives name"; do
  set -- $list
  twice=$(duplicates "$1" "$2")
  [ -z "$twice" ] || { echo "README examples made duplicates in /$1: $twice" >&2; exit 1; }
done
echo "README: $(wc -l < "$count_file") curl examples ran against a demo server, all 2xx, no duplicates"
