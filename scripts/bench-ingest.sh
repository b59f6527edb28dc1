#!/usr/bin/env bash
# End-to-end ingest of 500,000 domain-log records from two upstreams, against
# the baselines.
#
# Starts two servers of the domain-log SSE API, each as its own process and
# serving bulk.example.com's stream from memory:
#   simulator     the project's own: misar-dash sim --prebuilt, on PORT;
#   other-server  scripts/other-server.py, one this project did not write,
#                 in another valid shape (CRLF, whitespace after : and ,,
#                 \/ and \u00e9 escapes, nulls, unknown integer fields,
#                 second-resolution timestamps, {"data":[...]} batches ended
#                 by `data: [DONE]`, a chunked HTTP/1.1 body), on OTHER_PORT.
# Checks each stream once, untimed: 500,000 records out of the by-hand
# pipeline and out of `misar-dash stream logs` (exit 0, one completion).
# Then runs, RUNS times and interleaved so that all see the same machine
# load, for each server in turn (which one goes first alternates by run):
#   1. curl -sN URL > /dev/null                              (the wire,
#      three times back to back: the targets are judged against the
#      fastest, since on this kind of machine the first read after a
#      pause can take twice as long, which would flatter every ratio to
#      it; the first is shown too, the way a single curl measures)
#   2. misar-dash bench ingest --runs 1 --json               (client + log
#      store, as the dashboard; then its re-filter and frame timings)
#   3. misar-dash stream logs bulk.example.com > /dev/null   (headless:
#      client + NDJSON out; MISAR_MAIL_URL and MISAR_MAIL_KEY point it)
#   4. the same by hand, with jq:
#      simulator:    curl -sN URL | sed -n 's/^data: //p' | jq -c '.logs[]'
#      other-server: curl -sN URL | tr -d '\r' | sed -n 's/^data: //p'
#                    | grep -v '^\[DONE\]' | jq -c '.data[]'
# 2 and 3 run under /usr/bin/time -v for their peak RSS (the servers are
# other processes and not counted). Prints one table of both servers'
# medians and ratios, each with its target and PASS/MISS. Then `misar-dash
# bench stages` against each server: the same stream drained, decoded,
# parsed, then written as NDJSON (as `stream logs`) or cleaned for the
# store (as the dashboard), on one thread, stage by stage, to show where
# the time goes.
#
# With BASELINE set to another build, each round also runs its `bench
# ingest` and `stream logs` beside this build's, and the table gives this
# build's times as ratios to it: the issue's "at the same ingest speed",
# measured in the same run. BASELINE is a misar-dash binary, or a commit
# of this repository, which is then built (release, in a directory of its
# own under the run's temporary one: a cold build, minutes).
#
# Usage: scripts/bench-ingest.sh [RUNS]      (default 5)
#   PORT=47900 moves the simulator, OTHER_PORT=47901 the other server,
#   BASELINE=PATH or BASELINE=COMMIT adds another build's figures.
set -euo pipefail

RUNS="${1:-5}"
PORT="${PORT:-47900}"
OTHER_PORT="${OTHER_PORT:-47901}"
LIMIT=500000
DOMAIN=bulk.example.com
SERVERS=(simulator other-server)
cd "$(dirname "$0")/.."

case "$RUNS" in
    '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]  (RUNS a positive number)" >&2; exit 2 ;;
esac
[ "$PORT" != "$OTHER_PORT" ] || { echo "PORT and OTHER_PORT are both $PORT" >&2; exit 2; }
BASELINE="${BASELINE:-}"
BASELINE_COMMIT=
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
    BASELINE_COMMIT="$(git rev-parse --verify --quiet "$BASELINE^{commit}")" || {
        echo "BASELINE=$BASELINE is neither an executable (a misar-dash binary) nor a commit" >&2
        exit 2
    }
fi

need() {
    local missing=()
    for tool in curl jq sed python3; do
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

die() { echo "bench-ingest: $*" >&2; exit 1; }

echo "building (release) ..." >&2
cargo build --release --quiet
BIN=target/release/misar-dash

TMP="$(mktemp -d)"
SIM_PID=
OTHER_PID=
cleanup() {
    local pid
    for pid in $SIM_PID $OTHER_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$BASELINE_COMMIT" ]; then
    echo "building the baseline, $BASELINE at ${BASELINE_COMMIT:0:12} (release, cold) ..." >&2
    mkdir "$TMP/baseline"
    git archive "$BASELINE_COMMIT" | tar -x -C "$TMP/baseline"
    (cd "$TMP/baseline" && CARGO_TARGET_DIR="$TMP/baseline/target" cargo build --release --quiet) || die "the baseline ($BASELINE) did not build"
    BASELINE_LABEL="$BASELINE (${BASELINE_COMMIT:0:12})"
    BASELINE="$TMP/baseline/target/release/misar-dash"
else
    BASELINE_LABEL="$BASELINE"
fi

echo "starting the simulator on $PORT and other-server.py on $OTHER_PORT (both pre-generate the stream) ..." >&2
"$BIN" sim --prebuilt --port "$PORT" >"$TMP/simulator.log" 2>&1 &
SIM_PID=$!
python3 scripts/other-server.py --port "$OTHER_PORT" --records "$LIMIT" >"$TMP/other-server.log" 2>&1 &
OTHER_PID=$!

# Both print "Serving until ..." once their socket listens.
wait_ready() { # name pid seconds
    local name="$1" pid="$2" tenths=$(($3 * 10))
    for _ in $(seq 1 "$tenths"); do
        grep -q "Serving until" "$TMP/$name.log" && return
        kill -0 "$pid" 2>/dev/null || { cat "$TMP/$name.log" >&2; die "the $name exited before serving"; }
        sleep 0.1
    done
    cat "$TMP/$name.log" >&2
    die "the $name did not start in $3 s"
}
wait_ready simulator "$SIM_PID" 120
wait_ready other-server "$OTHER_PID" 300

declare -A KEY MAIL_URL URL
KEY[simulator]="$(sed -n 's/^export MISAR_MAIL_KEY=\(msk_[A-Za-z0-9_]*\)$/\1/p' "$TMP/simulator.log" | head -1)"
[ -n "${KEY[simulator]}" ] || { cat "$TMP/simulator.log" >&2; die "no mail key in the simulator's banner"; }
KEY[other-server]=msk_bench_any_key_works
MAIL_URL[simulator]="http://127.0.0.1:$PORT/mail"
MAIL_URL[other-server]="http://127.0.0.1:$OTHER_PORT/mail"
for s in "${SERVERS[@]}"; do
    URL[$s]="${MAIL_URL[$s]}/api/domains/$DOMAIN/log/stream?limit=$LIMIT"
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.6f\n", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rss_mb() { awk -F: '/Maximum resident set size/ { print $2 / 1024 }' "$1"; }

wire() { # server: the body to stdout
    curl -sN -H "Authorization: Bearer ${KEY[$1]}" "${URL[$1]}"
}

# The by-hand pipeline; one record a line on stdout, jq's complaints on
# stderr. The simulator's final `complete` event has no .logs: jq says
# "Cannot iterate over null" for it (and exits 5) after every record is
# out. other-server's stream ends in `data: [DONE]`, which grep drops.
by_hand() { # server
    case "$1" in
        simulator) wire "$1" | sed -n 's/^data: //p' | jq -c '.logs[]' ;;
        other-server) wire "$1" | tr -d '\r' | sed -n 's/^data: //p' | grep -v '^\[DONE\]' | jq -c '.data[]' ;;
    esac
}

# Fails unless the by-hand pipeline exited and complained as expected
# (a jq error anywhere else means records were skipped).
check_by_hand() { # server status stderr-file
    local s="$1" status="$2" err="$3"
    case "$s" in
        simulator)
            if [ "$status" -eq 5 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q 'Cannot iterate over null' "$err"; then
                return
            fi
            ;;
        other-server)
            if [ "$status" -eq 0 ] && [ ! -s "$err" ]; then
                return
            fi
            ;;
    esac
    head -5 "$err" >&2
    die "$s: curl|sed|jq exited $status with the above on stderr"
}

headless() { # server binary [wrapper...]: stream logs, pointed at the server through the environment
    MISAR_MAIL_KEY="${KEY[$1]}" MISAR_MAIL_URL="${MAIL_URL[$1]}" "${@:3}" \
        "$2" stream logs "$DOMAIN" --limit "$LIMIT"
}

# Once each, untimed: the stream's size, and that both the by-hand
# pipeline and the headless client get every record out of it.
for s in "${SERVERS[@]}"; do
    bytes="$(curl -sN -H "Authorization: Bearer ${KEY[$s]}" "${URL[$s]}" -o /dev/null -w '%{size_download}')" ||
        die "$s: curl failed"
    echo "$bytes" >"$TMP/$s.bytes"

    status=0
    records="$(by_hand "$s" 2>"$TMP/$s.jq_err" | wc -l)" || status=$?
    check_by_hand "$s" "$status" "$TMP/$s.jq_err"
    [ "$records" -eq "$LIMIT" ] || die "$s: curl|sed|jq gave $records records, not $LIMIT"

    status=0
    counts="$(headless "$s" "$BIN" 2>"$TMP/$s.headless_err" |
        awk '/^\{"type":"log"[,}]/ { logs++ } /^\{"type":"complete"[,}]/ { done++; last = $0 } { lines++ }
             END { printf "%d %d %d %s\n", lines, logs, done, last }')" || status=$?
    if [ "$status" -ne 0 ]; then
        cat "$TMP/$s.headless_err" >&2
        die "$s: misar-dash stream logs exited $status"
    fi
    read -r lines logs completions last <<<"$counts"
    if [ "$logs" -ne "$LIMIT" ] || [ "$completions" -ne 1 ]; then
        die "$s: misar-dash stream logs wrote $logs log lines and $completions completions ($lines lines), not $LIMIT and 1"
    fi
    case "$last" in
        *"\"total\":$LIMIT"*) ;;
        *) die "$s: stream logs' completion line says $last" ;;
    esac
    printf '%s: %d bytes; %d records out of curl|sed|jq, %d out of stream logs (exit 0, then %s)\n' \
        "$s" "$bytes" "$records" "$logs" "$last" >&2
done
echo "$RUNS runs of each, interleaved" >&2

ingest() { # server binary name run: one timed bench ingest into $TMP/$s.$name*
    local s="$1" bin="$2" name="$3" run="$4"
    MISAR_MAIL_KEY="${KEY[$s]}" /usr/bin/time -v -o "$TMP/$s.${name}_time.$run" \
        "$bin" bench ingest --mail-url "${MAIL_URL[$s]}" --limit "$LIMIT" --runs 1 --json \
        >"$TMP/$s.$name.$run" || die "$s: $bin bench ingest failed"
    jq -r 'select(.run) | .records' "$TMP/$s.$name.$run" | grep -qx "$LIMIT" ||
        die "$s: $bin bench ingest held other than $LIMIT records: $(cat "$TMP/$s.$name.$run")"
    jq -r 'select(.run) | .secs' "$TMP/$s.$name.$run" >>"$TMP/$s.$name"
    rss_mb "$TMP/$s.${name}_time.$run" >>"$TMP/$s.${name}_rss"
}

stream() { # server binary name run: one timed stream logs into $TMP/$s.$name*
    local s="$1" bin="$2" name="$3" run="$4" start status=0
    start="$(now)"
    headless "$s" "$bin" /usr/bin/time -v -o "$TMP/$s.${name}_time.$run" >/dev/null 2>"$TMP/$s.${name}_err" || {
        status=$?
        cat "$TMP/$s.${name}_err" >&2
        die "$s: $bin stream logs exited $status"
    }
    elapsed "$start" >>"$TMP/$s.$name"
    rss_mb "$TMP/$s.${name}_time.$run" >>"$TMP/$s.${name}_rss"
}

measure() { # server run
    local s="$1" run="$2" start status=0 err try
    for try in 1 2 3; do
        start="$(now)"
        wire "$s" >/dev/null || die "$s: curl failed"
        elapsed "$start" >"$TMP/$s.curl_try$try"
    done
    cat "$TMP/$s.curl_try1" >>"$TMP/$s.curl_first"
    sort -g "$TMP/$s".curl_try* | head -1 >>"$TMP/$s.curl"

    ingest "$s" "$BIN" ingest "$run"
    jq -r 'select(.run) | .cpu_secs' "$TMP/$s.ingest.$run" >>"$TMP/$s.ingest_cpu"
    jq -r 'select(.summary) | .ingest_peak_rss_mb' "$TMP/$s.ingest.$run" >>"$TMP/$s.ingest_rss_own"
    jq -r 'select(.summary) | .store_bytes_per_record' "$TMP/$s.ingest.$run" >>"$TMP/$s.store_bpr"
    jq -r 'select(.summary) | .refilter_median_ms' "$TMP/$s.ingest.$run" >>"$TMP/$s.refilter"
    jq -r 'select(.summary) | .render_median_ms' "$TMP/$s.ingest.$run" >>"$TMP/$s.render"
    stream "$s" "$BIN" stream "$run"
    if [ -n "$BASELINE" ]; then
        ingest "$s" "$BASELINE" base_ingest "$run"
        stream "$s" "$BASELINE" base_stream "$run"
    fi

    err="$TMP/$s.jq_err.$run"
    start="$(now)"
    by_hand "$s" >/dev/null 2>"$err" || status=$?
    elapsed "$start" >>"$TMP/$s.jq"
    check_by_hand "$s" "$status" "$err"

    printf 'run %s, %-12s curl %.3f s (first %.3f s), bench ingest %.3f s (%.1f MB), stream logs %.3f s (%.1f MB), curl|sed|jq %.3f s\n' \
        "$run" "$s:" "$(tail -1 "$TMP/$s.curl")" "$(tail -1 "$TMP/$s.curl_first")" "$(tail -1 "$TMP/$s.ingest")" "$(tail -1 "$TMP/$s.ingest_rss")" \
        "$(tail -1 "$TMP/$s.stream")" "$(tail -1 "$TMP/$s.stream_rss")" "$(tail -1 "$TMP/$s.jq")" >&2
    if [ -n "$BASELINE" ]; then
        printf '       %-12s the baseline: bench ingest %.3f s (%.1f MB), stream logs %.3f s (%.1f MB)\n' \
            "$s:" "$(tail -1 "$TMP/$s.base_ingest")" "$(tail -1 "$TMP/$s.base_ingest_rss")" \
            "$(tail -1 "$TMP/$s.base_stream")" "$(tail -1 "$TMP/$s.base_stream_rss")" >&2
    fi
}

for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) -eq 1 ]; then
        measure simulator "$run"
        measure other-server "$run"
    else
        measure other-server "$run"
        measure simulator "$run"
    fi
done

# One line per server: its medians, in the order the table reads them.
FIELDS=(curl ingest ingest_cpu ingest_rss ingest_rss_own store_bpr refilter render stream stream_rss jq curl_first)
BASE_FIELDS=()
[ -z "$BASELINE" ] || BASE_FIELDS=(base_ingest base_ingest_rss base_stream base_stream_rss)
for s in "${SERVERS[@]}"; do
    row="$s $(cat "$TMP/$s.bytes")"
    for field in "${FIELDS[@]}"; do
        row="$row $(median <"$TMP/$s.$field")"
    done
    row="$row $(sort -g "$TMP/$s.ingest_rss" | tail -1) $(sort -g "$TMP/$s.stream_rss" | tail -1)"
    for field in "${BASE_FIELDS[@]}"; do
        row="$row $(median <"$TMP/$s.$field")"
    done
    echo "$row"
done >"$TMP/medians"

awk -v n="$LIMIT" -v runs="$RUNS" -v baseline="$BASELINE_LABEL" '
{
    s = NR; name[s] = $1; bytes[s] = $2; curl[s] = $3; ingest[s] = $4; cpu[s] = $5
    ingest_rss[s] = $6; ingest_rss_own[s] = $7; bpr[s] = $8; refilter[s] = $9; render[s] = $10
    stream[s] = $11; stream_rss[s] = $12; jq[s] = $13; curl_first[s] = $14; ingest_rss_max[s] = $15
    stream_rss_max[s] = $16; base_ingest[s] = $17; base_ingest_rss[s] = $18; base_stream[s] = $19
    base_stream_rss[s] = $20
}
function row(label, a, b, target, line) {
    line = sprintf("  %-34s %-22s %-22s %s", label, a, b, target)
    sub(/ +$/, "", line)
    print line
}
function pair(label, fmt, a, b, note) {
    row(label, sprintf(fmt, a), sprintf(fmt, b), note)
}
function judged(v, fmt, op, t) {
    return sprintf(fmt, v) "  " (((op == "<=") ? (v <= t) : (v >= t)) ? "PASS" : "MISS")
}
function judge(label, a, b, fmt, op, t, shown) {
    row(label, judged(a, fmt, op, t), judged(b, fmt, op, t), op " " shown)
}
END {
    printf "\nmedians of %d runs, %d records from each server\n", runs, n
    row("", name[1], name[2], "target")
    pair("on the wire", "%.1f MB", bytes[1] / 1e6, bytes[2] / 1e6)
    pair("curl -sN > /dev/null, best of 3", "%.3f s", curl[1], curl[2])
    pair("  the first of the 3", "%.3f s", curl_first[1], curl_first[2])
    pair("misar-dash stream logs > /dev/null", "%.3f s", stream[1], stream[2])
    pair("misar-dash bench ingest", "%.3f s", ingest[1], ingest[2])
    pair("  its process CPU", "%.2f s", cpu[1], cpu[2])
    pair("curl | sed | jq", "%.3f s", jq[1], jq[2])
    judge("stream logs / curl", stream[1] / curl[1], stream[2] / curl[2], "%.2fx", "<=", 3, "3x")
    pair("  / the first curl", "%.2fx", stream[1] / curl_first[1], stream[2] / curl_first[2])
    judge("curl|sed|jq / stream logs", jq[1] / stream[1], jq[2] / stream[2], "%.1fx", ">=", 15, "15x")
    judge("stream logs peak RSS", stream_rss[1], stream_rss[2], "%.1f MB", "<=", 40, "40 MB")
    pair("  max of the runs", "%.1f MB", stream_rss_max[1], stream_rss_max[2])
    judge("bench ingest / curl", ingest[1] / curl[1], ingest[2] / curl[2], "%.2fx", "<=", 3, "3x")
    pair("  / the first curl", "%.2fx", ingest[1] / curl_first[1], ingest[2] / curl_first[2])
    judge("curl|sed|jq / bench ingest", jq[1] / ingest[1], jq[2] / ingest[2], "%.1fx", ">=", 10, "10x")
    judge("bench ingest records/s", n / ingest[1], n / ingest[2], "%.0f", ">=", 1000000, "1,000,000")
    judge("bench ingest peak RSS", ingest_rss[1], ingest_rss[2], "%.1f MB", "<=", 64, "64 MB")
    pair("  max of the runs", "%.1f MB", ingest_rss_max[1], ingest_rss_max[2])
    pair("  its own, after the ingest", "%.1f MB", ingest_rss_own[1], ingest_rss_own[2], "(before the re-filter and frames)")
    pair("store bytes per record", "%.1f B", bpr[1], bpr[2], "(no target)")
    judge("re-filter of 500k records", refilter[1], refilter[2], "%.2f ms", "<=", 10, "10 ms")
    judge("frame, 200x60", render[1], render[2], "%.3f ms", "<=", 1, "1 ms")
    if (baseline != "") {
        print "  baseline: " baseline
        pair("  its bench ingest", "%.3f s", base_ingest[1], base_ingest[2])
        pair("  its peak RSS", "%.1f MB", base_ingest_rss[1], base_ingest_rss[2])
        pair("  its stream logs", "%.3f s", base_stream[1], base_stream[2])
        pair("  its stream logs peak RSS", "%.1f MB", base_stream_rss[1], base_stream_rss[2])
        # "At the same ingest speed": within the 5% that medians of
        # the same build differ by from run to run on this machine.
        judge("bench ingest / the baseline", ingest[1] / base_ingest[1], ingest[2] / base_ingest[2], "%.2fx", "<=", 1.05, "1.05x")
        pair("stream logs / the baseline", "%.2fx", stream[1] / base_stream[1], stream[2] / base_stream[2])
        pair("peak RSS / the baseline", "%.2fx", ingest_rss[1] / base_ingest_rss[1], ingest_rss[2] / base_ingest_rss[2], "(bench ingest)")
    }
    print "  (peak RSS: /usr/bin/time -v of the client process; the servers are not counted)"
}' "$TMP/medians"

for s in "${SERVERS[@]}"; do
    echo
    echo "$s:"
    MISAR_MAIL_KEY="${KEY[$s]}" "$BIN" bench stages --mail-url "${MAIL_URL[$s]}" --limit "$LIMIT" --runs "$RUNS" ||
        echo "  misar-dash bench stages failed on the $s (exit $?)"
done
