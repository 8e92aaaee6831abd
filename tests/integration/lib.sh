# lib.sh — what the shell tests share (sourced): the pass/fail counters.
# Each script ends by printing "$PASS passed, $FAIL failed" and exiting
# non-zero when FAIL is. A failure names $CHECK when it is set.
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); }
bad() {
    FAIL=$((FAIL + 1))
    echo "FAIL: ${CHECK:+[$CHECK] }$*"
}
