#!/usr/bin/env bash
# test.sh — everything `make test` (and so CI) runs, stage by stage: install
# the packages, build with -Werror and run every test, run the unit and
# conformance suites under ASan+UBSan, build the fuzz targets and fuzz each
# one briefly. Ends with "stages: N passed, M failed" and then the line CI
# reads, "N passed, M failed", counting test cases (CTest tests of both
# builds, one per fuzz target); exits non-zero when any stage failed.
#
# Environment (all optional):
#   CAIRN_JOBS=N              parallel build and test jobs (default: nproc)
#   CAIRN_FUZZ_SECONDS=S      fuzzing time per target (default 20)
#   CAIRN_SKIP_DEPS=1         do not check or install packages
#   CAIRN_SKIP_ASAN=1         skip the sanitizer stages   } for quick local runs: a
#   CAIRN_SKIP_FUZZ=1         skip the fuzz stages        } skip is listed, not counted
#   CAIRN_SKIP_TSAN=1         skip the ThreadSanitizer stage (memory tier)
#   CAIRN_BUILD_PREFIX=build  build dirs are PREFIX-test, PREFIX-asan, PREFIX-fuzz,
#                             PREFIX-tsan
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=scripts/deps.sh
. scripts/deps.sh
# shellcheck source=scripts/servers.sh
. scripts/servers.sh

JOBS=${CAIRN_JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${CAIRN_FUZZ_SECONDS:-20}
PREFIX=${CAIRN_BUILD_PREFIX:-build}
B_TEST=$PREFIX-test
B_ASAN=$PREFIX-asan
B_FUZZ=$PREFIX-fuzz
B_TSAN=$PREFIX-tsan
# Unit cases run under ThreadSanitizer: the memory tier's threads.
TSAN_CASES=(cache_threads tiered_threads cache_held_entry cache_basic arena_threads cache_arena_entries tiered_renew_threads)
FUZZERS=(key url duration backend_url tiered_url record record_roundtrip json jdom canon schema model dump npy msgpack zrecord)
# What the ASan stage runs (ctest -L 'unit|conformance'): only these are
# built there; the CLI, examples and benchmarks are built and run by the
# -Werror stage. A unit or conformance test on another program fails loudly
# ("Not Run"): add its target here.
ASAN_TARGETS=(cairn_unit cairn_conformance cairn_schema_suite)
# Generous outer limits: each CTest test has its own, tighter timeout.
CTEST_LIMIT=900
ASAN_CTEST_LIMIT=1200

passed=0
failed=0
cases_passed=0 # test cases: CTest tests of both builds, one per fuzz target
cases_failed=0
failures=()
skipped=()
timings=() # "  Ns  stage" per stage run, printed by summary (docs/testing.md: budget)
T0=$SECONDS

# stage NAME COMMAND... — run one stage, report it and count it.
stage() {
    local name=$1 t=$SECONDS rc
    shift
    printf '\n==> %s\n' "$name"
    "$@"
    rc=$?
    timings+=("$(printf '%5ds  %s' $((SECONDS - t)) "$name")")
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        printf '==> %s: PASSED (%ds)\n' "$name" $((SECONDS - t))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf '==> %s: FAILED with status %d (%ds)\n' "$name" $rc $((SECONDS - t))
    fi
    return $rc
}

# not_run NAME WHY — a stage that cannot run because an earlier one failed.
not_run() {
    failed=$((failed + 1))
    failures+=("$1 (not run: $2)")
    printf '\n==> %s: FAILED (not run: %s)\n' "$1" "$2"
}

summary() {
    cairn_servers_stop
    printf '\n==== make test summary (%d min %d s)\n' $(((SECONDS - T0) / 60)) $(((SECONDS - T0) % 60))
    local f
    for f in "${timings[@]+"${timings[@]}"}"; do
        printf '  %s\n' "$f"
    done
    for f in "${failures[@]+"${failures[@]}"}"; do
        printf '  FAILED: %s\n' "$f"
    done
    for f in "${skipped[@]+"${skipped[@]}"}"; do
        printf '  skipped: %s\n' "$f"
    done
    printf 'stages: %d passed, %d failed\n' "$passed" "$failed"
    # The closing line CI reads: test cases (a failed stage that ran no
    # case counts as one failed case).
    local cf=$cases_failed
    if [ "$failed" -gt 0 ] && [ "$cf" -eq 0 ]; then
        cf=$failed
    fi
    printf '%d passed, %d failed\n' "$cases_passed" "$cf"
}

# configure_build DIR [CMAKE ARGS...] [-- TARGETS...] — configure and build
# (every target, or only the named ones).
configure_build() {
    local dir=$1 args=() targets=() t
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        args+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    for t in "$@"; do
        targets+=(--target "$t")
    done
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${args[@]}" &&
        cmake --build "$dir" -j "$JOBS" "${targets[@]+"${targets[@]}"}"
}

# run_ctest DIR LIMIT ARGS... — run CTest; its counts of test cases go into
# the final line (cases_passed, cases_failed).
run_ctest() {
    local dir=$1 limit=$2 log rc
    shift 2
    log=$(mktemp)
    timeout -k 30 "$limit" ctest --test-dir "$dir" -j "$JOBS" --output-on-failure \
        --no-tests=error --timeout 600 "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    local line total bad
    line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        bad=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
        total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
        cases_passed=$((cases_passed + total - bad))
        cases_failed=$((cases_failed + bad))
    elif [ "$rc" -ne 0 ]; then
        cases_failed=$((cases_failed + 1))
    fi
    rm -f "$log"
    return "$rc"
}

fuzz_build() {
    cmake -S "$ROOT" -B "$B_FUZZ" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang -DCAIRN_FUZZ=ON -DCAIRN_BUILD_TESTS=OFF \
        -DCAIRN_WERROR=ON &&
        cmake --build "$B_FUZZ" -j "$JOBS" --target cairn_fuzz
}

# fuzz_one NAME — fuzz one target from its committed seed corpus. New
# inputs go to a corpus kept in the build dir, so later runs go deeper.
fuzz_one() {
    local name=$1 exe="$B_FUZZ/fuzz/fuzz_$1" work="$B_FUZZ/corpus/$1"
    local log="$B_FUZZ/logs/$1.log" arts="$B_FUZZ/artifacts"
    mkdir -p "$work" "$B_FUZZ/logs" "$arts"
    timeout -k 10 $((FUZZ_SECONDS + 120)) "$exe" -max_total_time="$FUZZ_SECONDS" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$arts/$name-" "$work" "fuzz/corpus/$name" >"$log" 2>&1
    local rc=$?
    grep -E '^(Done|stat::number_of_executed_units)' "$log" | sed 's/^/    /'
    if [ $rc -ne 0 ]; then
        tail -n 40 "$log"
        echo "    full log: $log; reproduce: $exe $arts/$name-<crash file>"
    fi
    return $rc
}

trap 'summary; exit 130' INT TERM

if [ "${CAIRN_SKIP_DEPS:-0}" = 1 ]; then
    skipped+=("packages (CAIRN_SKIP_DEPS=1)")
elif ! stage "packages" cairn_deps_install test; then
    summary
    exit 1
fi
stage "test servers" cairn_servers_start

if stage "build ($B_TEST, -Werror)" configure_build "$B_TEST" -DCAIRN_WERROR=ON \
    -DCAIRN_BUILD_TESTS=ON -DCAIRN_SANITIZE=OFF -DCAIRN_FUZZ=OFF; then
    stage "tests ($B_TEST: unit, conformance, examples)" run_ctest "$B_TEST" "$CTEST_LIMIT"
else
    not_run "tests ($B_TEST)" "build failed"
fi

if [ "${CAIRN_SKIP_ASAN:-0}" = 1 ]; then
    skipped+=("ASan+UBSan stages (CAIRN_SKIP_ASAN=1)")
elif stage "build ($B_ASAN, ASan+UBSan)" configure_build "$B_ASAN" -DCAIRN_WERROR=ON \
    -DCAIRN_BUILD_TESTS=ON -DCAIRN_SANITIZE=ON -DCAIRN_FUZZ=OFF -- "${ASAN_TARGETS[@]}"; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        stage "tests under ASan+UBSan ($B_ASAN: unit, conformance)" \
        run_ctest "$B_ASAN" "$ASAN_CTEST_LIMIT" -L 'unit|conformance' -LE 'headers|layers'
else
    not_run "tests under ASan+UBSan" "build failed"
fi

# tsan_run — the memory tier's threaded unit cases under ThreadSanitizer
# (one small build of the unit suite only).
tsan_run() {
    cmake -S "$ROOT" -B "$B_TSAN" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON \
        -DCAIRN_BUILD_TESTS=ON -DCAIRN_SANITIZE=OFF -DCAIRN_FUZZ=OFF \
        -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
        -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread &&
        cmake --build "$B_TSAN" -j "$JOBS" --target cairn_unit &&
        TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
            timeout -k 10 600 "$B_TSAN/tests/cairn_unit" "${TSAN_CASES[@]}"
}

if [ "${CAIRN_SKIP_TSAN:-0}" = 1 ]; then
    skipped+=("TSan stage (CAIRN_SKIP_TSAN=1)")
elif stage "memory tier under ThreadSanitizer ($B_TSAN)" tsan_run; then
    cases_passed=$((cases_passed + ${#TSAN_CASES[@]}))
else
    cases_failed=$((cases_failed + 1))
fi

if [ "${CAIRN_SKIP_FUZZ:-0}" = 1 ]; then
    skipped+=("fuzz stages (CAIRN_SKIP_FUZZ=1)")
elif stage "build fuzz targets ($B_FUZZ, clang)" fuzz_build; then
    for f in "${FUZZERS[@]}"; do
        if stage "fuzz $f (${FUZZ_SECONDS}s)" fuzz_one "$f"; then
            cases_passed=$((cases_passed + 1))
        else
            cases_failed=$((cases_failed + 1))
        fi
    done
else
    for f in "${FUZZERS[@]}"; do
        not_run "fuzz $f" "fuzz build failed"
    done
fi

summary
[ "$failed" -eq 0 ]
