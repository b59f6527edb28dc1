#!/usr/bin/env bash
# What the dashboard costs a terminal: bytes written per second by the demo
# at full activity, counted with tmux pipe-pane, then the keystroke,
# frame and idle numbers of `misar-dash bench keys` (the real event loop on
# a virtual terminal while 500,000 records stream in).
#
# Usage: scripts/bench-tui.sh [SECONDS]   (default 20; SIZE=120x40 to change)
set -euo pipefail

SECONDS_TO_COUNT="${1:-20}"
SIZE="${SIZE:-120x40}"
COLS="${SIZE%x*}"
ROWS="${SIZE#*x}"
cd "$(dirname "$0")/.."

command -v tmux >/dev/null || {
    echo "tmux is needed (Debian/Ubuntu: sudo apt-get install tmux)" >&2
    exit 1
}
echo "building (release) ..." >&2
cargo build --release --quiet
BIN="$PWD/target/release/misar-dash"

SESSION="misar-bench-$$"
OUT="$(mktemp)"
cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    rm -f "$OUT"
}
trap cleanup EXIT

# The demo: no keys and no config file, so it runs against its simulator.
tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
    "env -u MISAR_BLOG_KEY -u MISAR_MAIL_KEY MISAR_DASH_CONFIG=/nonexistent/config.toml TERM=xterm-256color $BIN"
sleep 5 # start-up: the simulator, the first streams, the first full frame
tmux pipe-pane -o -t "$SESSION" "cat >> $OUT"
sleep "$SECONDS_TO_COUNT"
tmux pipe-pane -t "$SESSION"
BYTES="$(wc -c <"$OUT")"
awk -v b="$BYTES" -v s="$SECONDS_TO_COUNT" -v size="$SIZE" 'BEGIN {
    printf "demo at %s: %d bytes in %d s = %.1f KB/s (target <= 30 KB/s)\n", size, b, s, b / s / 1000
}'
tmux send-keys -t "$SESSION" q

echo "bench keys (starts a prebuilt simulator in-process) ..." >&2
"$BIN" bench keys --size 200x60
