#!/usr/bin/env bash
# run.sh — what `make run` does: install missing packages, build in build/,
# run the demo pipeline on the default embedded store (./cairn-data, or
# $CAIRN_STORE). Run it again: the demo skips every finished item.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh

JOBS=${CAIRN_JOBS:-$(nproc 2>/dev/null || echo 2)}
STORE=${CAIRN_STORE:-./cairn-data}
B=${CAIRN_RUN_BUILD:-build} # the build dir (tests off: run needs no cmocka)

cairn_deps_install run
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_BUILD_TESTS=OFF \
    -DCAIRN_SANITIZE=OFF -DCAIRN_FUZZ=OFF >/dev/null
cmake --build "$B" -j "$JOBS" >/dev/null || {
    # Quiet when it works; on a failure show why.
    cmake --build "$B" -j 1
    exit 1
}
echo
"$B"/examples/demo_pipeline "$STORE"

echo
echo "Run 'make run' again: the second run skips every finished item."
case "$STORE" in
*:*) ;;
*)
    echo "The results are files: cat $STORE/demo/results/0000.rec"
    ;;
esac
if [ -x "$B"/cli/cairn ]; then
    echo "Or ask the CLI: $B/cli/cairn --store $STORE ls demo/results | head"
fi
