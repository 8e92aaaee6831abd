#!/bin/sh
# check_line.sh — CTest smoke check of a benchmark program: run it once in a
# fresh temporary directory and check that its one output line has every field.
#   check_line.sh [--fields "a b c"] COMMAND [ARG...]   (@TMP@ in an ARG: the dir;
#   @REDIS@: $CAIRN_TEST_REDIS_URL with a prefix of its own, from scripts/servers.sh)
# Timings are only checked to be numbers: a smoke run asserts no speed.
set -u
fields="backend n put_ops_s get_ops_s list_ms put_us get_us list_keys doc_hash"
if [ "${1:-}" = "--fields" ]; then
    fields=$2
    shift 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
case "$*" in
*@REDIS@*)
    if [ -z "${CAIRN_TEST_REDIS_URL:-}" ]; then
        echo "check_line: CAIRN_TEST_REDIS_URL is not set (scripts/servers.sh starts a server)" >&2
        exit 1
    fi
    ;;
esac
redis="${CAIRN_TEST_REDIS_URL:-}?prefix=$(basename "$tmp"):"
for a do
    set -- "$@" "$(printf '%s' "$a" | sed "s|@TMP@|$tmp|g; s|@REDIS@|$redis|g")"
    shift
done

out=$("$@")
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then
    echo "check_line: '$*' exited with $rc" >&2
    exit 1
fi
if [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ]; then
    echo "check_line: expected exactly one line of output" >&2
    exit 1
fi
# value NAME: the value of field NAME ("" when absent).
value() {
    printf ' %s\n' "$out" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}
for f in $fields; do
    v=$(value "$f")
    if [ -z "$v" ]; then
        echo "check_line: field $f= missing" >&2
        exit 1
    fi
    case $f in
    backend|doc_hash) ;;
    *)
        if ! printf '%s' "$v" | grep -Eq '^[0-9]+(\.[0-9]+)?$'; then
            echo "check_line: field $f=$v is not a number" >&2
            exit 1
        fi
        ;;
    esac
done
# The workload's list("runs/r42") holds the keys i with i mod 100 = 42.
n=$(value n)
if [ -n "$n" ] && printf ' %s\n' "$out" | grep -q ' list_keys='; then
    want=$((n / 100 + (n % 100 > 42)))
    got=$(value list_keys)
    if [ "$got" != "$want" ]; then
        echo "check_line: list_keys=$got, expected $want for n=$n" >&2
        exit 1
    fi
fi
exit 0
