#!/bin/sh
# check_refuse.sh — `cairn bench` on a store that already holds runs/ keys
# must refuse up front with exit status 4 and say why, leaving data alone.
#   check_refuse.sh CAIRN
set -u
cairn=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
store="file:$tmp/store"

"$cairn" --store "$store" bench --n 150 >/dev/null || { echo "first run failed" >&2; exit 1; }
"$cairn" --store "$store" bench --n 150 >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/err"
if [ $rc -ne 4 ]; then
    echo "check_refuse: second run exited with $rc, expected 4" >&2
    exit 1
fi
if [ -s "$tmp/out" ] || ! grep -q 'already holds keys under runs/' "$tmp/err"; then
    echo "check_refuse: expected no result line and a message naming runs/" >&2
    exit 1
fi
# The refusal wrote nothing: still 150 keys.
count=$("$cairn" --store "$store" count runs)
if [ "$count" != 150 ]; then
    echo "check_refuse: count runs = '$count', expected 150" >&2
    exit 1
fi
"$cairn" --store "$store" bench --help | grep -q 'usage: cairn' || {
    echo "check_refuse: bench --help printed no usage" >&2
    exit 1
}
exit 0
