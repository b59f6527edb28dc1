#!/usr/bin/env bash
# Soak test (issue 6): the dashboard against the simulator at high speed for
# SOAK_MINUTES (default 10), watching 20 issues, 20 campaigns and 3 domains
# (500,000 records asked of each) with a small log cap, in a detached 120x40
# tmux. Every SOAK_SAMPLE_SECS it samples the process (RSS, threads, open fds from /proc) and the
# dashboard's own counters (tokio's alive tasks, running clients, rows and
# records held; written by the binary to MISAR_DASH_STATS_FILE, see
# src/dashboard/stats.rs); every SOAK_KEY_SECS it presses a key and checks
# the screen answers. At the end it quits with `q` and prints a summary.
#
# It fails (exit 1) when the screen stops answering, memory grows after the
# log cap is reached or ever peaks too high, tasks, threads or fds pile up,
# or the dashboard does not quit cleanly. The limits are below; the figures go into RELIABILITY.md.
#
#   scripts/soak.sh                       # 10 minutes
#   SOAK_MINUTES=2 scripts/soak.sh        # a quick look
#
# Needs: cargo, tmux, awk. Leaves its samples in $SOAK_OUT (default: a temp
# directory, printed at the start).
set -euo pipefail

MINUTES=${SOAK_MINUTES:-10}
SPEED=${SOAK_SPEED:-20}
SAMPLE_SECS=${SOAK_SAMPLE_SECS:-5}
KEY_SECS=${SOAK_KEY_SECS:-20}
CAP=${SOAK_MAX_LOG_RECORDS:-2000}
# Records asked of each domain: the most the API allows, so that no live
# domain reaches its limit (and completes) before the soak ends.
LIMIT=${SOAK_LIMIT:-500000}
# The live feed's own cap (FEED_CAPACITY in src/app/feed.rs): memory is
# judged once both it and the log cap are reached.
FEED_CAP=${SOAK_FEED_CAP:-5000}
# 1: follow each campaign the inbox announces (the default setting); 0:
# only the 20 given, so the set of rows is fixed.
FOLLOW=${SOAK_FOLLOW:-1}
# Pass/fail limits.
MAX_RSS_GROWTH_KB=${SOAK_MAX_RSS_GROWTH_KB:-8192}  # last third vs first third of the steady state
MAX_TASK_GROWTH=${SOAK_MAX_TASK_GROWTH:-8}         # same, alive tasks
MAX_KEY_MS=${SOAK_MAX_KEY_MS:-2000}                # one key to its change on screen
MAX_PEAK_MB=${SOAK_MAX_PEAK_MB:-100}               # the most RSS ever (VmHWM)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${SOAK_OUT:-$(mktemp -d /tmp/misar-soak.XXXXXX)}
mkdir -p "$OUT"
SOCKET="misar-soak-$$"
# SOAK_BIN: a binary built already (say, a copy, so that rebuilding the
# tree during the soak cannot touch it); otherwise the tree's release build.
BIN=${SOAK_BIN:-"$ROOT/target/release/misar-dash"}
SIM_PID=""

log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

cleanup() {
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    if [[ -n "$SIM_PID" ]]; then kill "$SIM_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

log "output in $OUT"
if [[ -z "${SOAK_BIN:-}" ]]; then
    log "building release"
    (cd "$ROOT" && cargo build --release --quiet --features test-hooks)
fi

# ---- the simulator, alone, at high speed ---------------------------------------
"$BIN" sim --speed "$SPEED" --seed 1 >"$OUT/sim.txt" 2>&1 &
SIM_PID=$!
for _ in $(seq 100); do
    grep -q "Serving until Ctrl-C" "$OUT/sim.txt" && break
    sleep 0.1
done
ADDR=$(sed -n 's/^misar-dash simulator on \([0-9.:]*\) .*/\1/p' "$OUT/sim.txt")
[[ -n "$ADDR" ]] || { cat "$OUT/sim.txt"; log "the simulator did not start"; exit 1; }

# 20 issues: the catalog's seven (one is another account's: a stopped row),
# and thirteen unknown ids (issue_not_found: stopped rows).
mapfile -t ISSUES < <(awk '$1 ~ /^iss-/ {print $1}' "$OUT/sim.txt")
for i in $(seq -w 1 $((20 - ${#ISSUES[@]}))); do ISSUES+=("iss-soak-unknown-$i"); done
# 20 campaigns: the catalog's thirteen (one another account's), and unknown
# ids for the rest. With SOAK_FOLLOW=1, follow_campaigns (on, as by
# default) adds every campaign the inbox announces while the soak runs.
mapfile -t CAMPAIGNS < <(awk '$1 ~ /^cmp-/ {print $1}' "$OUT/sim.txt")
for i in $(seq 1 $((20 - ${#CAMPAIGNS[@]}))); do CAMPAIGNS+=("cmp-soak000$i"); done
DOMAINS=(shop.example.com bulk.example.com limited.example.com)
log "simulator on $ADDR (speed ${SPEED}x): ${#ISSUES[@]} issues, ${#CAMPAIGNS[@]} campaigns (follow: $FOLLOW), ${#DOMAINS[@]} domains, cap $CAP records, limit $LIMIT"

cat >"$OUT/config.toml" <<EOF
max_log_records = $CAP
follow_campaigns = $([[ "$FOLLOW" == 1 ]] && echo true || echo false)
EOF
chmod 600 "$OUT/config.toml"

ARGS=(--blog-url "http://$ADDR/blog" --mail-url "http://$ADDR/mail" --mail-ws-url "ws://$ADDR/mail/ws" --limit "$LIMIT")
for x in "${ISSUES[@]}"; do ARGS+=(--issue "$x"); done
for x in "${CAMPAIGNS[@]}"; do ARGS+=(--campaign "$x"); done
for x in "${DOMAINS[@]}"; do ARGS+=(--domain "$x"); done
STATS="$OUT/stats.txt"
# The simulator's public demo keys.
BLOG_KEY=$(sed -n 's/^export MISAR_BLOG_KEY=//p' "$OUT/sim.txt")
MAIL_KEY=$(sed -n 's/^export MISAR_MAIL_KEY=//p' "$OUT/sim.txt")
printf '%q ' exec env MISAR_DASH_CONFIG="$OUT/config.toml" MISAR_DASH_STATS_FILE="$STATS" \
    MISAR_BLOG_KEY="$BLOG_KEY" MISAR_MAIL_KEY="$MAIL_KEY" "$BIN" "${ARGS[@]}" >"$OUT/command.sh"

# ---- the dashboard in tmux --------------------------------------------------------
tmux -L "$SOCKET" -f /dev/null new-session -d -x 120 -y 40 "bash $OUT/command.sh; echo EXITED=\$?; sleep 600"
SHELL_PID=$(tmux -L "$SOCKET" display-message -p '#{pane_pid}')
PID=""
for _ in $(seq 100); do
    PID=$(pgrep -P "$SHELL_PID" -x misar-dash || true)
    [[ -n "$PID" ]] && break
    sleep 0.1
done
[[ -n "$PID" ]] || { log "no misar-dash under the pane's shell"; exit 1; }
screen() { tmux -L "$SOCKET" capture-pane -p; }
for _ in $(seq 200); do
    screen | grep -q "Domain logs" && break
    sleep 0.1
done
screen | grep -q "Domain logs" || { screen; log "the dashboard did not come up"; exit 1; }
log "dashboard pid $PID"

now_ms() { date +%s%3N; }
# Presses a key and waits for `want` on screen; prints the milliseconds it
# took, or FAIL.
press() {
    local key=$1 want=$2 start
    start=$(now_ms)
    tmux -L "$SOCKET" send-keys "$key"
    while (($(now_ms) - start < 10000)); do
        if screen | grep -qF -- "$want"; then
            echo $(($(now_ms) - start))
            return
        fi
        sleep 0.05
    done
    echo FAIL
}

SAMPLES="$OUT/samples.csv"
KEYS="$OUT/keys.csv"
echo "t,rss_kb,threads,fds,alive_tasks,workers,watches,streams,send_rows,feed_items,log_records,log_streamed,frames,inputs" >"$SAMPLES"
echo "t,key,ms" >"$KEYS"
START=$(date +%s)
END=$((START + MINUTES * 60))
NEXT_KEY=$((START + KEY_SECS))
FOCUS=(2 "▶ 2 Live feed" 3 "▶ 3 Domain logs" 1 "▶ 1 Sends")
k=0
log "running for $MINUTES minutes"
while (($(date +%s) < END)); do
    if [[ ! -d /proc/$PID ]]; then
        screen
        log "FAIL: the dashboard died"
        exit 1
    fi
    t=$(($(date +%s) - START))
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$PID/status")
    fds=$(find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    line=$(cat "$STATS" 2>/dev/null || true)
    val() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$line"; }
    echo "$t,$rss,$threads,$fds,$(val alive_tasks),$(val workers),$(val watches),$(val streams),$(val send_rows),$(val feed_items),$(val log_records),$(val log_streamed),$(val frames),$(val inputs)" >>"$SAMPLES"
    if (($(date +%s) >= NEXT_KEY)); then
        key=${FOCUS[$((k * 2 % 6))]}
        want=${FOCUS[$((k * 2 % 6 + 1))]}
        ms=$(press "$key" "$want")
        echo "$t,$key,$ms" >>"$KEYS"
        k=$((k + 1))
        NEXT_KEY=$(($(date +%s) + KEY_SECS))
    fi
    if ((t % 60 < SAMPLE_SECS)); then
        log "t=${t}s rss=${rss}kB threads=$threads fds=$fds $(echo "$line" | cut -d' ' -f2-)"
    fi
    sleep "$SAMPLE_SECS"
done

# ---- quit, and what was left ------------------------------------------------------
screen >"$OUT/last-screen.txt"
PEAK_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$PID/status")
tmux -L "$SOCKET" send-keys q
for _ in $(seq 100); do
    screen | grep -q "EXITED=" && break
    sleep 0.1
done
EXIT_LINE=$(screen | grep -o "EXITED=[0-9]*" || echo "EXITED=none")

# ---- summary ---------------------------------------------------------------------
FAIL=0
CAP_ALL=$((CAP * ${#DOMAINS[@]}))
awk -F, -v cap="$CAP_ALL" -v feed_cap="$FEED_CAP" -v max_rss="$MAX_RSS_GROWTH_KB" -v max_tasks="$MAX_TASK_GROWTH" '
NR == 1 { next }
{ n++; t[n]=$1; rss[n]=$2; th[n]=$3; fd[n]=$4; at[n]=$5; w[n]=$7; rows[n]=$9; recs[n]=$11; streamed[n]=$12; fr[n]=$13
  if (!logcap && $11 + 0 >= cap) { logcap = n }
  if (!capped && $11 + 0 >= cap && $10 + 0 >= feed_cap) { capped = n } }
END {
  if (!capped) { print "the log and feed caps were never both reached: run longer"; print "RESULT FAIL"; exit }
  m = n - capped + 1
  third = int(m / 3); if (third < 1) third = 1
  for (i = capped; i <= n; i++) {
    if (rmin == "" || rss[i] < rmin) rmin = rss[i]; if (rss[i] > rmax) rmax = rss[i]
    if (tmin == "" || th[i] < tmin) tmin = th[i]; if (th[i] > tmax) tmax = th[i]
    if (fmin == "" || fd[i] < fmin) fmin = fd[i]; if (fd[i] > fmax) fmax = fd[i]
    if (amin == "" || at[i] < amin) amin = at[i]; if (at[i] > amax) amax = at[i]
    sx += t[i]; sy += rss[i]; sxx += t[i] * t[i]; sxy += t[i] * rss[i]
  }
  slope = (m * sxy - sx * sy) / (m * sxx - sx * sx + 1e-9) * 60
  for (i = capped; i < capped + third; i++) { if (rss[i] > r1) r1 = rss[i]; if (at[i] > a1) a1 = at[i]; if (fd[i] > f1) f1 = fd[i]; if (th[i] > h1) h1 = th[i] }
  for (i = n - third + 1; i <= n; i++) { if (rss[i] > r3) r3 = rss[i]; if (at[i] > a3) a3 = at[i]; if (fd[i] > f3) f3 = fd[i]; if (th[i] > h3) h3 = th[i] }
  printf "duration              %d s, %d samples\n", t[n], n
  printf "log cap reached       at %d s (%d records held: 3 domains x %d)\n", t[logcap], recs[logcap], cap / 3
  printf "feed cap reached      at %d s (%d items); steady state judged from there\n", t[capped], feed_cap
  printf "records streamed      %d in all (%d held at the end)\n", streamed[n], recs[n]
  printf "frames drawn          %d\n", fr[n]
  printf "RSS, steady state     min %.1f MB, max %.1f MB, first %.1f MB, last %.1f MB\n", rmin/1024, rmax/1024, rss[capped]/1024, rss[n]/1024
  printf "RSS slope             %+.1f kB/min (least squares, steady state)\n", slope
  printf "RSS max, thirds       first %.1f MB, last %.1f MB (growth %+d kB, limit %d)\n", r1/1024, r3/1024, r3 - r1, max_rss
  printf "alive tasks           min %d, max %d; max first third %d, last third %d (limit +%d)\n", amin, amax, a1, a3, max_tasks
  printf "running clients       %d at the start of the steady state, %d at the end\n", w[capped], w[n]
  printf "send rows             %d at start, %d at the end\n", rows[1], rows[n]
  printf "threads               min %d, max %d (first third %d, last third %d)\n", tmin, tmax, h1, h3
  printf "open fds              min %d, max %d (first third %d, last third %d)\n", fmin, fmax, f1, f3
  bad = 0
  if (r3 - r1 > max_rss) { print "FAIL: memory grew in the steady state"; bad = 1 }
  if (a3 - a1 > max_tasks) { print "FAIL: tasks piled up"; bad = 1 }
  if (h3 > h1 + 4) { print "FAIL: threads piled up"; bad = 1 }
  if (f3 > f1 + 16) { print "FAIL: file descriptors piled up"; bad = 1 }
  print (bad ? "RESULT FAIL" : "RESULT OK")
}' "$SAMPLES" | tee "$OUT/summary.txt"
grep -q "RESULT OK" "$OUT/summary.txt" || FAIL=1

KEY_TOTAL=$(tail -n +2 "$KEYS" | wc -l)
KEY_FAILS=$(tail -n +2 "$KEYS" | awk -F, '$3 == "FAIL"' | wc -l)
mapfile -t KEY_MS < <(tail -n +2 "$KEYS" | awk -F, '$3 != "FAIL" {print $3}' | sort -n)
KEY_OK=${#KEY_MS[@]}
if ((KEY_OK > 0)); then
    MEDIAN=${KEY_MS[$(((KEY_OK - 1) / 2))]}
    WORST=${KEY_MS[$((KEY_OK - 1))]}
else
    MEDIAN=0 WORST=0
fi
echo "key checks            $KEY_OK of $KEY_TOTAL answered; median $MEDIAN ms, worst $WORST ms (limit $MAX_KEY_MS)" | tee -a "$OUT/summary.txt"
if ((KEY_TOTAL == 0 || KEY_FAILS > 0 || WORST > MAX_KEY_MS)); then
    echo "FAIL: the screen did not answer" | tee -a "$OUT/summary.txt"
fi
grep -q "FAIL: the screen" "$OUT/summary.txt" && FAIL=1
echo "peak RSS              $((PEAK_KB / 1024)) MB (VmHWM; limit $MAX_PEAK_MB MB)" | tee -a "$OUT/summary.txt"
if ((PEAK_KB > MAX_PEAK_MB * 1024)); then
    echo "FAIL: memory peaked too high" | tee -a "$OUT/summary.txt"
    FAIL=1
fi
echo "quit with q           $EXIT_LINE" | tee -a "$OUT/summary.txt"
[[ "$EXIT_LINE" == "EXITED=0" ]] || FAIL=1

if ((FAIL)); then
    log "SOAK FAILED (samples in $OUT)"
    exit 1
fi
log "soak passed (samples in $OUT)"
