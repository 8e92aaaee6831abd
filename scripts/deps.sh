#!/usr/bin/env bash
# deps.sh — the one list of Debian packages cairn needs, and an installer
# that asks apt-get only for the missing ones.
#
#   scripts/deps.sh [run|test]   install what `make run` (default) or `make test` needs
#   scripts/deps.sh --list [run|test]   print the packages, one per line
#
# Sourced (by run.sh, test.sh) it defines cairn_deps_install and cairn_deps_list.
# Installing needs root, or sudo that works without a password; otherwise
# it names the packages to install and fails.

# package        needed by
CAIRN_DEPS="
build-essential   run
cmake             run
pkg-config        run
libjansson-dev    run
libxxhash-dev     run
libsqlite3-dev    run
liblmdb-dev       run
libzstd-dev       run
libpcre2-dev      run
libpq-dev         run
libhiredis-dev    run
libmsgpack-dev    run
libuv1-dev        test
jq                run
libcmocka-dev     test
clang             test
libclang-rt-14-dev test
python3           test
python3-diskcache test
python3-pydantic  test
python3-numpy     test
python3-msgpack   test
postgresql        test
redis-server      test
redis-tools       test
"

# cairn_deps_list run|test — `run` packages, or all of them for `test`.
cairn_deps_list() {
    local want=${1:-run}
    awk -v want="$want" 'NF == 2 && (want == "test" || $2 == "run") { print $1 }' \
        <<<"$CAIRN_DEPS"
}

# True when pkg is installed (not merely known or half-removed).
cairn_deps_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# cairn_deps_install run|test — install the missing packages of that set.
cairn_deps_install() {
    local set=${1:-run} pkg missing=()
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "deps: not a Debian system (no dpkg-query); install the equivalents of:" >&2
        cairn_deps_list "$set" | sed 's/^/deps:   /' >&2
        echo "deps: going on, assuming they are there" >&2
        return 0
    fi
    for pkg in $(cairn_deps_list "$set"); do
        cairn_deps_installed "$pkg" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "deps: all $(cairn_deps_list "$set" | wc -l) packages for '$set' are installed"
        return 0
    fi
    echo "deps: missing: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            echo "deps: not root and no password-less sudo: as root, run" >&2
            echo "deps:   apt-get update && apt-get install -y ${missing[*]}" >&2
            echo "deps: then run this again" >&2
            return 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q || { echo "deps: apt-get update failed" >&2; return 1; }
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" || {
        echo "deps: apt-get install failed for: ${missing[*]}" >&2
        return 1
    }
    for pkg in "${missing[@]}"; do
        if ! cairn_deps_installed "$pkg"; then
            echo "deps: $pkg is still not installed" >&2
            return 1
        fi
    done
    echo "deps: installed ${missing[*]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-run}" in
    --list) cairn_deps_list "${2:-run}" ;;
    run | test) cairn_deps_install "${1:-run}" ;;
    *) echo "usage: $0 [run|test] | --list [run|test]" >&2; exit 2 ;;
    esac
fi
