#!/bin/sh
# check_same.sh — the Python baseline (diskcache_bench.py) must generate the
# very documents of bench/workload.h: compare doc_hash= for several N.
#   check_same.sh RAW_LMDB PYTHON DISKCACHE_BENCH_PY
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
hash_of() {
    sed -n 's/.* doc_hash=\([0-9a-f]*\).*/\1/p'
}
for n in 1 777 3000; do
    mkdir "$tmp/l$n" && c=$("$1" "$tmp/l$n" --n $n | hash_of)
    p=$("$2" "$3" "$tmp/d$n" --n $n | hash_of)
    echo "n=$n C doc_hash=$c Python doc_hash=$p"
    if [ -z "$c" ] || [ "$c" != "$p" ]; then
        echo "check_same: the documents differ between C and Python" >&2
        exit 1
    fi
done
exit 0
