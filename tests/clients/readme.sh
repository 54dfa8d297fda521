#!/usr/bin/env bash
# Runs every shell example of the README's API sections (from "## Access" to "## Layout")
# against a live server, in order; every curl must answer 2xx. The README never lies.
# Usage: readme.sh README INVESTDESK_BINARY  (with API and INVESTDESK_DATABASE_URL set)
set -euo pipefail
readme=$1
binary=$2
script=$(mktemp)
count_file=$(mktemp)
trap 'rm -f "$script" "$count_file"' EXIT
awk '/^## Access/{on=1} /^## Layout/{on=0} on && /^```sh$/{inside=1; next} inside && /^```$/{inside=0; print ""; next} on && inside' "$readme" \
  | sed "s#cargo run --release --#\"$binary\"#g" > "$script"
[ -s "$script" ] || { echo "no examples found in $readme" >&2; exit 1; }
curl() {
  echo x >> "$COUNT_FILE"
  command curl --fail-with-body --max-time 20 "$@"
}
export -f curl
export COUNT_FILE=$count_file
bash -euo pipefail "$script" > /dev/null
echo "README: $(wc -l < "$count_file") curl examples ran against the live server, all 2xx"
