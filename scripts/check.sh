#!/usr/bin/env bash
# check.sh — what `make check` does, the edit-test loop: build build-check/
# with -Werror and run the unit suite and the conformance cases of the local
# backends (mem, file, sqlite, lmdb, tiered:mem, tiered:lmdb). No servers,
# no packages installed, no sanitizers: `make test` does all of that.
# Under two minutes on a 2-core machine (docs/testing.md has the figures).
#
# Environment (all optional):
#   CAIRN_JOBS=N             parallel build and test jobs (default: nproc)
#   CAIRN_CHECK_DIR=DIR      the build dir (default build-check)
#   CAIRN_CHECK_CTEST="..."  more ctest arguments, e.g. "-R models"
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
JOBS=${CAIRN_JOBS:-$(nproc 2>/dev/null || echo 2)}
B=${CAIRN_CHECK_DIR:-build-check}
T0=$SECONDS

# Quiet when it works; on a failure show why.
if ! log=$(cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON \
    -DCAIRN_BUILD_TESTS=ON -DCAIRN_SANITIZE=OFF -DCAIRN_FUZZ=OFF 2>&1); then
    printf '%s\n' "$log"
    echo "make check: configure failed (missing packages? make deps-test installs them)"
    exit 1
fi
if ! cmake --build "$B" -j "$JOBS" >/dev/null 2>&1; then
    cmake --build "$B" -j 1 2>&1 | grep -E -B2 -A8 'error|Error' | head -n 80
    echo "make check: build failed"
    exit 1
fi
echo "make check: built in $((SECONDS - T0)) s"

# The unit suite (and schema/suite) and every conformance case whose backend
# needs no server; TR_AGNOSTIC cases come with mem and sqlite.
# shellcheck disable=SC2086 # CAIRN_CHECK_CTEST is split on purpose
ctest --test-dir "$B" -j "$JOBS" --output-on-failure --no-tests=error \
    -L '^(unit|conformance)$' -LE '^(postgres|redis)$' ${CAIRN_CHECK_CTEST:-} |
    grep -v -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed +[0-9.]+ sec$'
rc=${PIPESTATUS[0]}
echo "make check: $((SECONDS - T0)) s in all (not run here: postgres, redis, integration," \
    "examples, benchmarks, ASan, TSan, fuzzing: make test)"
exit "$rc"
