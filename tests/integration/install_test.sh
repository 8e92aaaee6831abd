#!/usr/bin/env bash
# install_test.sh BUILD_DIR — the installed library as its users get it:
#   1. `cmake --install` into a temporary prefix;
#   2. find_package(cairn) from a CMake project outside the tree, linking
#      cairn::cairn and cairn::cairn_static (tests/integration/consumer);
#   3. pkg-config: `--cflags --libs cairn`, and `--static` against libcairn.a;
#   4. with CAIRN_TEST_SYSTEM_INSTALL=1 (as root; .ci/run sets it on CI):
#      the README's steps exactly as written, `cmake --install` into the
#      default prefix and `cc quickstart.c $(pkg-config --cflags --libs cairn)`,
#      the program started with no LD_LIBRARY_PATH.
# Each program runs the quick start on a fresh store and must print "put: stored".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:?usage: install_test.sh BUILD_DIR}" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
QS=$ROOT/examples/quickstart.c
fail() { echo "FAIL: $*" >&2; exit 1; }

# run NAME PROGRAM [env...]: the quick start on a fresh store of its own.
run() {
    local name=$1 exe=$2 out
    shift 2
    out=$(cd "$T" && env "$@" "$exe" "file:$T/store-$name" 2>&1) ||
        fail "$name: exit $?: $out"
    grep -q '^put: stored' <<<"$out" || fail "$name: unexpected output: $out"
    echo "ok: $name"
}

cmake --install "$BUILD" --prefix "$T/prefix" >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "cmake --install"; }
LIBDIR=$(dirname "$(find "$T/prefix" -name 'libcairn.so.0' | head -n 1)")
[ -n "$LIBDIR" ] || fail "no libcairn.so.0 under the prefix"

# 2. CMake's find_package, shared and static.
cmake -S "$ROOT/tests/integration/consumer" -B "$T/consumer" -DQUICKSTART="$QS" \
    -DCMAKE_PREFIX_PATH="$T/prefix" >"$T/consumer.log" 2>&1 ||
    { cat "$T/consumer.log"; fail "find_package(cairn): configure"; }
cmake --build "$T/consumer" >>"$T/consumer.log" 2>&1 ||
    { cat "$T/consumer.log"; fail "find_package(cairn): build"; }
run cmake-shared "$T/consumer/quickstart_shared"
if ldd "$T/consumer/quickstart_static" | grep -q libcairn; then
    fail "cairn::cairn_static linked libcairn.so"
fi
run cmake-static "$T/consumer/quickstart_static"

# 3. pkg-config, shared and --static.
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
# shellcheck disable=SC2046
cc "$QS" $(pkg-config --cflags --libs cairn) -o "$T/qs_pc" || fail "pkg-config --libs cairn"
run pkg-config "$T/qs_pc" LD_LIBRARY_PATH="$LIBDIR"
# --static: libcairn.a itself, then everything it needs.
# shellcheck disable=SC2046
cc "$QS" $(pkg-config --cflags cairn) "$LIBDIR/libcairn.a" \
    $(pkg-config --static --libs cairn | sed 's/-lcairn//') -o "$T/qs_pc_static" ||
    fail "pkg-config --static --libs cairn"
run pkg-config-static "$T/qs_pc_static"

# 4. The README, word for word, into the system.
if [ "${CAIRN_TEST_SYSTEM_INSTALL:-0}" = 1 ]; then
    [ "$(id -u)" = 0 ] || fail "CAIRN_TEST_SYSTEM_INSTALL=1 needs root"
    cmake --install "$BUILD" >"$T/sys.log" 2>&1 || { cat "$T/sys.log"; fail "cmake --install"; }
    cp "$QS" "$T/quickstart.c"
    (cd "$T" && unset PKG_CONFIG_PATH && cc quickstart.c $(pkg-config --cflags --libs cairn) -o quickstart) ||
        fail "README: cc quickstart.c \$(pkg-config --cflags --libs cairn)"
    run readme "$T/quickstart" -u LD_LIBRARY_PATH
else
    echo "skipped: the README's system install (CAIRN_TEST_SYSTEM_INSTALL=1 runs it)"
fi
echo "install: ok"
