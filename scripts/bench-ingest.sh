#!/usr/bin/env bash
# End-to-end ingest of 500,000 domain-log records, against the baselines.
#
# Starts the simulator as its own process, serving bulk.example.com's stream
# from memory (--prebuilt), then runs, RUNS times and interleaved so that all
# three see the same machine load:
#   1. curl -sN URL > /dev/null                       (the wire)
#   2. misar-dash bench ingest                         (client + log store, as the dashboard)
#   3. curl -sN URL | sed -n 's/^data: //p' | jq -c '.logs[]' > /dev/null
# and prints the medians, the ratios, and the ingest process's peak RSS
# (from /usr/bin/time -v; the simulator is another process and not counted).
# Then `misar-dash bench stages`: the same stream drained, decoded, and
# parsed on one thread, stage by stage, to show where the time goes.
#
# Usage: scripts/bench-ingest.sh [RUNS]      (default 5; PORT=47900 to move it)
set -euo pipefail

RUNS="${1:-5}"
PORT="${PORT:-47900}"
LIMIT=500000
cd "$(dirname "$0")/.."

need() {
    local missing=()
    for tool in curl jq sed; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    [ -x /usr/bin/time ] || missing+=(time)
    [ "${#missing[@]}" -eq 0 ] && return
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${missing[*]} ..." >&2
        apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing: ${missing[*]}; install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
}
need

echo "building (release) ..." >&2
cargo build --release --quiet
BIN=target/release/misar-dash

SIM_LOG="$(mktemp)"
TMP="$(mktemp -d)"
"$BIN" sim --prebuilt --port "$PORT" >"$SIM_LOG" 2>&1 &
SIM_PID=$!
cleanup() {
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    rm -rf "$SIM_LOG" "$TMP"
}
trap cleanup EXIT

echo "starting the simulator (pre-generating the stream) ..." >&2
for _ in $(seq 1 600); do
    grep -q "Serving until" "$SIM_LOG" && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$SIM_LOG" >&2; exit 1; }
    sleep 0.1
done
grep -q "Serving until" "$SIM_LOG" || { echo "the simulator did not start" >&2; exit 1; }
KEY="$(sed -n 's/^export MISAR_MAIL_KEY=\(msk_[A-Za-z0-9_]*\)$/\1/p' "$SIM_LOG" | head -1)"
[ -n "$KEY" ] || { echo "no mail key in the simulator's banner:" >&2; cat "$SIM_LOG" >&2; exit 1; }
MAIL_URL="http://127.0.0.1:$PORT/mail"
URL="$MAIL_URL/api/domains/bulk.example.com/log/stream?limit=$LIMIT"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.6f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

BYTES="$(curl -sN -H "Authorization: Bearer $KEY" "$URL" -o /dev/null -w '%{size_download}')"
RECORDS="$(curl -sN -H "Authorization: Bearer $KEY" "$URL" | sed -n 's/^data: //p' | jq -c '.logs[]?' | wc -l)"
echo "stream: $RECORDS records, $BYTES bytes; $RUNS runs of each" >&2

for run in $(seq 1 "$RUNS"); do
    start="$(now)"
    curl -sN -H "Authorization: Bearer $KEY" "$URL" >/dev/null
    echo "$(elapsed "$start")" >>"$TMP/curl"

    MISAR_MAIL_KEY="$KEY" /usr/bin/time -v -o "$TMP/time.$run" \
        "$BIN" bench ingest --mail-url "$MAIL_URL" --limit "$LIMIT" --runs 1 --json >"$TMP/ingest.$run"
    grep '"run"' "$TMP/ingest.$run" | jq -r '.secs' >>"$TMP/ingest"
    grep '"run"' "$TMP/ingest.$run" | jq -r '.cpu_secs' >>"$TMP/ingest_cpu"
    grep '"summary"' "$TMP/ingest.$run" | jq -r '.refilter_median_ms' >>"$TMP/refilter"
    awk -F: '/Maximum resident set size/ { print $2 / 1024 }' "$TMP/time.$run" >>"$TMP/rss"

    start="$(now)"
    # As given in the issue; jq complains (and exits 5) at the final
    # `complete` event, which has no .logs, after every record is out.
    curl -sN -H "Authorization: Bearer $KEY" "$URL" | sed -n 's/^data: //p' | jq -c '.logs[]' >/dev/null 2>&1 || true
    echo "$(elapsed "$start")" >>"$TMP/jq"

    printf 'run %s: curl %.3f s, misar-dash %.3f s, curl|sed|jq %.3f s\n' "$run" \
        "$(tail -1 "$TMP/curl")" "$(tail -1 "$TMP/ingest")" "$(tail -1 "$TMP/jq")" >&2
done

CURL="$(median <"$TMP/curl")"
INGEST="$(median <"$TMP/ingest")"
INGEST_CPU="$(median <"$TMP/ingest_cpu")"
JQ="$(median <"$TMP/jq")"
RSS="$(median <"$TMP/rss")"
RSS_MAX="$(sort -g "$TMP/rss" | tail -1)"
REFILTER="$(median <"$TMP/refilter")"

awk -v n="$LIMIT" -v bytes="$BYTES" -v curl="$CURL" -v ingest="$INGEST" -v cpu="$INGEST_CPU" \
    -v jq="$JQ" -v rss="$RSS" -v rss_max="$RSS_MAX" -v refilter="$REFILTER" -v runs="$RUNS" '
BEGIN {
    printf "\nmedians of %d runs, %d records, %.1f MB on the wire\n", runs, n, bytes / 1e6
    printf "  curl -sN > /dev/null       %8.3f s  %12.0f records/s\n", curl, n / curl
    printf "  misar-dash bench ingest    %8.3f s  %12.0f records/s  (process CPU %.2f s)\n", ingest, n / ingest, cpu
    printf "  curl | sed | jq            %8.3f s  %12.0f records/s\n", jq, n / jq
    printf "  misar-dash / curl          %8.2fx   (target <= 3x)\n", ingest / curl
    printf "  curl|sed|jq / misar-dash   %8.1fx   (target >= 10x)\n", jq / ingest
    printf "  records/s                  %8.0f    (target >= 1,000,000)\n", n / ingest
    printf "  peak RSS of the ingest     %8.1f MB (max %.1f MB; target <= 150 MB)\n", rss, rss_max
    printf "  re-filter of 500k records  %8.2f ms (median; target <= 20 ms)\n", refilter
}'

echo
MISAR_MAIL_KEY="$KEY" "$BIN" bench stages --mail-url "$MAIL_URL" --limit "$LIMIT" --runs "$RUNS"
