#!/usr/bin/env bash
# Long fuzz run (issue 6): each property test of tests/fuzz.rs for
# FUZZ_MINUTES (default 10), in a release build, with fresh random seeds in
# rounds of about a minute each. CI runs the same tests with a few hundred
# cases; this is the long run whose figures go into RELIABILITY.md.
#
#   scripts/fuzz-long.sh                   # every target, 10 minutes each
#   FUZZ_MINUTES=1 scripts/fuzz-long.sh    # a quick look
#   scripts/fuzz-long.sh sse_ filter_      # only targets whose names contain these
#
# It prints, per target, the cases run and the time taken, and exits 1 if
# any case failed; the failing run's output (with the minimal input proptest
# shrank it to) is kept in the directory it names. Turn such an input into a
# plain #[test] under "Regressions" in tests/fuzz.rs.
set -euo pipefail

MINUTES=${FUZZ_MINUTES:-10}
ROUND_SECS=${FUZZ_ROUND_SECS:-60}
cd "$(dirname "$0")/.."
OUT=${FUZZ_OUT:-$(mktemp -d /tmp/misar-fuzz.XXXXXX)}

echo "building tests/fuzz.rs (release) ..." >&2
BIN=$(cargo test --release --locked --features test-hooks --test fuzz --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*"' | sed 's/"executable":"\(.*\)"/\1/' | tail -1)
[[ -x "$BIN" ]] || { echo "could not build the fuzz tests" >&2; exit 1; }

# The property tests; the plain regression tests run in CI and need no time.
mapfile -t TARGETS < <("$BIN" --list --format terse 2>/dev/null | sed -n 's/: test$//p' | grep -v '^regression_')
if (($# > 0)); then
    mapfile -t TARGETS < <(printf '%s\n' "${TARGETS[@]}" | grep -F "${@/#/-e}")
fi
((${#TARGETS[@]} > 0)) || { echo "no fuzz targets match" >&2; exit 1; }

echo "$(date -u +%FT%TZ) ${#TARGETS[@]} targets, $MINUTES min each; output in $OUT" >&2
printf '%-58s %12s %8s %s\n' target cases secs result
FAILED=0
for target in "${TARGETS[@]}"; do
    start=$SECONDS
    deadline=$((SECONDS + MINUTES * 60))
    total=0
    # Start small to learn the rate, then size each round to ROUND_SECS.
    cases=200
    result=pass
    while ((SECONDS < deadline)); do
        round_start=$(date +%s.%N)
        left=$((deadline - SECONDS))
        # A round on a machine busier than the first estimate is cut off
        # at the deadline (and its cases not counted), not left to overrun.
        status=0
        PROPTEST_CASES=$cases timeout $((left + 5)) "$BIN" --exact "$target" --test-threads 1 \
            >"$OUT/$target.log" 2>&1 || status=$?
        if ((status == 124)); then
            break
        elif ((status != 0)); then
            result="FAIL (see $OUT/$target.log)"
            FAILED=1
            break
        fi
        total=$((total + cases))
        took=$(awk -v a="$round_start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
        left=$((deadline - SECONDS))
        ((left > ROUND_SECS)) && left=$ROUND_SECS
        cases=$(awk -v c="$cases" -v t="$took" -v l="$left" \
            'BEGIN { n = int(c * l / (t > 0.01 ? t : 0.01)); print (n < 50 ? 50 : n) }')
    done
    printf '%-58s %12d %8d %s\n' "$target" "$total" $((SECONDS - start)) "$result"
done
exit $FAILED
