#!/usr/bin/env bash
# run.sh — the whole benchmark in one run: `cairn bench` on every backend
# built in, the same workload on raw LMDB, raw SQLite and diskcache, then the
# ratios against the targets of docs/performance.md as a table.
#
#   bench/run.sh [--n N] [--rounds R] [--build DIR] [--backends "lmdb sqlite file mem redis"]
#
# redis: a redis-server of its own is started on a free loopback port (no
# persistence: the figures are the client's and the library's), `cairn bench`
# runs on it, then bench_redis sets libcairn against redis-benchmark on the
# same server (SET/GET -c 1, and get_many of 100 keys against GET -P 100),
# and `cairn bench --async` sets async calls (2 workers) against sync ones
# (at most 20000 keys).
#
# Environment (the flags win): BENCH_N (default 100000), BENCH_ROUNDS
# (default 1; with more, each program runs R times interleaved with the
# others and its best figure counts, which tames a noisy machine),
# CAIRN_BUILD_DIR (default build/; configured and built when a program is
# missing), BENCH_TMP (parent of the fresh temporary stores; default $TMPDIR
# or /tmp — put it on the disk you care about: fsync costs differ).
# Ratios are printed, never asserted: the exit status is 0 unless a program
# failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${BENCH_N:-100000}
ROUNDS=${BENCH_ROUNDS:-1}
BUILD=${CAIRN_BUILD_DIR:-$ROOT/build}
BACKENDS="lmdb sqlite file mem redis"
PY=/usr/bin/python3

usage() {
    sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}
while [ $# -gt 0 ]; do
    case $1 in
    --n) N=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --backends) BACKENDS=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
case $N in ''|*[!0-9]*) echo "run.sh: --n needs a number, got '$N'" >&2; exit 2 ;; esac
case $ROUNDS in ''|*[!0-9]*|0) echo "run.sh: --rounds needs a number >= 1" >&2; exit 2 ;; esac

CAIRN=$BUILD/cli/cairn
RAW_LMDB=$BUILD/bench/bench_raw_lmdb
RAW_SQLITE=$BUILD/bench/bench_raw_sqlite
JSON_CHECK=$BUILD/bench/bench_json_check
if [ ! -x "$CAIRN" ] || [ ! -x "$RAW_LMDB" ] || [ ! -x "$RAW_SQLITE" ] || [ ! -x "$JSON_CHECK" ]; then
    echo "run.sh: building in $BUILD" >&2
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2 || exit 1
    fi
    cmake --build "$BUILD" -j "$(nproc 2>/dev/null || echo 2)" >&2 || exit 1
fi

TMP_PARENT=${BENCH_TMP:-${TMPDIR:-/tmp}}
WORK=$(mktemp -d "$TMP_PARENT/cairn-bench.XXXXXX") || exit 1
REDIS_URL=""
# shellcheck source=scripts/servers.sh
. "$ROOT/scripts/servers.sh"
trap '[ -n "$REDIS_URL" ] && cairn_redis_stop "$WORK/redis"; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM # so that the EXIT trap stops the server
case " $BACKENDS " in
*" redis "*)
    if [ ! -x "$BUILD/bench/bench_redis" ]; then
        echo "run.sh: redis: bench_redis not built (libhiredis-dev missing?): skipped" >&2
        BACKENDS=$(echo " $BACKENDS " | sed 's/ redis / /')
    else
        port=$(cairn_free_port) &&
            cairn_redis_server "$WORK/redis" "$port" --appendonly no >&2 &&
            REDIS_URL="redis://127.0.0.1:$port/0"
        if [ -z "$REDIS_URL" ]; then
            echo "run.sh: redis: cannot start redis-server" >&2
            exit 1
        fi
    fi
    ;;
esac
REDIS_LINES=$WORK/redis_lines
: >"$REDIS_LINES"
ASYNC_LINES=$WORK/async_lines # cairn bench --async on the redis server (issue 5)
: >"$ASYNC_LINES"
LINES=$WORK/lines
: >"$LINES"
failed=0

# run NAME COMMAND... — run one program in its own fresh directory
# ($WORK/store, removed afterwards) and keep its result line.
run() {
    local name=$1 out rc
    shift
    rm -rf "$WORK/store" && mkdir "$WORK/store" || exit 1
    # Start clean: the previous program's dirty pages (hundreds of MB for
    # diskcache or the file backend) would otherwise be written back
    # while this one runs, and charged to it.
    sync
    out=$("$@" 2>"$WORK/err")
    rc=$?
    rm -rf "$WORK/store"
    if [ $rc -ne 0 ] || [ -z "$out" ]; then
        if [ "$rc" -eq 6 ] && [ "$name" != raw_lmdb ] && [ "$name" != raw_sqlite ]; then
            echo "  $name: not built in, skipped ($(head -c 200 "$WORK/err"))" >&2
        else
            echo "  $name: FAILED (exit $rc): $(head -c 500 "$WORK/err")" >&2
            failed=1
        fi
        return
    fi
    printf '  %s\n' "$out"
    printf 'round=%s %s\n' "$r" "$out" >>"$LINES"
}

echo "== cairn benchmark: n=$N rounds=$ROUNDS $(date -u +%Y-%m-%dT%H:%MZ)"
echo "   machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "$(uname -sr), stores on $(df -T "$TMP_PARENT" | awk 'NR==2 {print $2}') ($TMP_PARENT)"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
have_diskcache=1
if ! "$PY" -c 'import diskcache' 2>/dev/null; then
    have_diskcache=0
    echo "   (no diskcache for $PY: install python3-diskcache; its ratios are left out)"
fi

for r in $(seq 1 "$ROUNDS"); do
    echo "-- round $r"
    for be in $BACKENDS; do
        case $be in
        mem) url="mem:" ;;
        sqlite) url="sqlite:$WORK/store/bench.db" ;;
        lmdb|file) url="$be:$WORK/store/db" ;;
        redis) url="$REDIS_URL?prefix=bench$r:" ;;
        *) echo "run.sh: unknown backend '$be'" >&2; exit 2 ;;
        esac
        run "$be" "$CAIRN" --store "$url" bench --n "$N"
    done
    if [ -n "$REDIS_URL" ]; then
        if out=$("$BUILD/bench/bench_redis" "$REDIS_URL" --n "$N" 2>"$WORK/err"); then
            printf '  %s\n' "$out"
            printf '%s\n' "$out" >>"$REDIS_LINES"
        else
            echo "  bench_redis: FAILED: $(head -c 500 "$WORK/err")" >&2
            failed=1
        fi
        if out=$("$CAIRN" --store "$REDIS_URL?prefix=async$r:" bench --async --n "$((N < 20000 ? N : 20000))" 2>"$WORK/err"); then
            printf '  %s\n' "$out"
            printf '%s\n' "$out" >>"$ASYNC_LINES"
        else
            echo "  cairn bench --async: FAILED: $(head -c 500 "$WORK/err")" >&2
            failed=1
        fi
    fi
    run raw_lmdb "$RAW_LMDB" "$WORK/store" --n "$N"
    run raw_sqlite "$RAW_SQLITE" "$WORK/store/raw.db" --n "$N"
    if [ $have_diskcache = 1 ]; then
        run diskcache "$PY" "$ROOT/bench/diskcache_bench.py" "$WORK/store/cache" --n "$N"
    fi
done
echo "-- JSON check on the put path (1 KiB documents)"
printf '  %s\n' "$("$JSON_CHECK")"

# Best figure of each program over the rounds, then the ratios.
awk -v rounds="$ROUNDS" '
function field(line, name,    m) {
    if (match(line, " " name "=[^ ]*")) return substr(line, RSTART + length(name) + 2, RLENGTH - length(name) - 2)
    return ""
}
{
    b = field(" " $0, "backend")
    rd = field(" " $0, "round")
    if (!(b in put)) { order[++nb] = b; put[b] = 0; get[b] = 0; lst[b] = 1e99 }
    p = field(" " $0, "put_ops_s") + 0; g = field(" " $0, "get_ops_s") + 0; l = field(" " $0, "list_ms") + 0
    rput[b, rd] = p; rget[b, rd] = g
    if (p > put[b]) put[b] = p
    if (g > get[b]) get[b] = g
    if (l < lst[b]) lst[b] = l
    allhash[field(" " $0, "doc_hash")] = 1
}
# The ratio of the best figures, then the ratio within each round (the two
# programs ran minutes apart at most, so these pair off the noise of the machine).
function ratio(a, b, op, target,    v, ok, r, per, x, y) {
    if (!(a in put) || !(b in put)) return
    v = (op == "put") ? (put[b] ? put[a] / put[b] : 0) : (get[b] ? get[a] / get[b] : 0)
    ok = (v >= target) ? "meets" : "MISSES"
    per = ""
    if (rounds > 1)
        for (r = 1; r <= rounds; r++) {
            x = (op == "put") ? rput[a, r] : rget[a, r]
            y = (op == "put") ? rput[b, r] : rget[b, r]
            per = per sprintf(" %.2f", (y > 0) ? x / y : 0)
        }
    printf "  %-22s %-4s %8.2fx   target >= %-5s %-7s%s\n", a " / " b, op, v, target "x", ok,
           per == "" ? "" : "  per round:" per
}
END {
    printf "\n== results (best of %d round%s)\n", rounds, (rounds > 1 ? "s" : "")
    printf "  %-12s %12s %12s %10s %9s %9s\n", "program", "put_ops_s", "get_ops_s", "list_ms", "put_us", "get_us"
    for (k = 1; k <= nb; k++) {
        b = order[k]
        printf "  %-12s %12.0f %12.0f %10.3f %9.2f %9.2f\n", b, put[b], get[b], lst[b],
               put[b] ? 1e6 / put[b] : 0, get[b] ? 1e6 / get[b] : 0
    }
    printf "\n== ratios (higher is better for cairn; printed, never asserted)\n"
    ratio("lmdb", "raw_lmdb", "put", 0.9)
    ratio("lmdb", "raw_lmdb", "get", 0.8)
    ratio("sqlite", "raw_sqlite", "put", 1.0)
    ratio("sqlite", "raw_sqlite", "get", 1.0)
    ratio("lmdb", "diskcache", "put", 5)
    ratio("lmdb", "diskcache", "get", 10)
    split("sqlite file mem", others, " ")
    for (k = 1; k <= 3; k++) {
        ratio(others[k], "diskcache", "put", 1)
        ratio(others[k], "diskcache", "get", 1)
    }
    nh = 0
    for (h in allhash) nh++
    if (nh > 1) print "  WARNING: programs generated different documents (doc_hash differs)"
}' "$LINES"

if [ -s "$REDIS_LINES" ]; then
    # Best of the rounds for each figure; ratios within the best rounds.
    awk '
    function field(line, name) {
        if (match(" " line, " " name "=[^ ]*")) return substr(" " line, RSTART + length(name) + 2, RLENGTH - length(name) - 2) + 0
        return 0
    }
    {
        split("cairn_put_ops_s redis_set_ops_s cairn_get_ops_s redis_get_ops_s cairn_get_many100_keys_s redis_get_p100_keys_s hiredis_mget100_keys_s", names, " ")
        for (i in names) { v = field($0, names[i]); if (v > best[names[i]]) best[names[i]] = v }
    }
    END {
        printf "\n== redis: libcairn against redis-benchmark on the same server (best of %d)\n", NR
        printf "  %-44s %10.0f / %10.0f = %5.2fx\n", "put (cairn_put) / SET -c 1", best["cairn_put_ops_s"], best["redis_set_ops_s"], best["cairn_put_ops_s"] / best["redis_set_ops_s"]
        printf "  %-44s %10.0f / %10.0f = %5.2fx\n", "get (cairn_get) / GET -c 1", best["cairn_get_ops_s"], best["redis_get_ops_s"], best["cairn_get_ops_s"] / best["redis_get_ops_s"]
        printf "  %-44s %10.0f / %10.0f = %5.2fx   target >= 0.7x\n", "get_many 100 keys/call / GET -c 1 -P 100", best["cairn_get_many100_keys_s"], best["redis_get_p100_keys_s"], best["cairn_get_many100_keys_s"] / best["redis_get_p100_keys_s"]
        printf "  %-44s %10.0f / %10.0f = %5.2fx\n", "get_many 100 keys/call / hiredis MGET 100", best["cairn_get_many100_keys_s"], best["hiredis_mget100_keys_s"], best["cairn_get_many100_keys_s"] / best["hiredis_mget100_keys_s"]
    }' "$REDIS_LINES"
fi

if [ -s "$ASYNC_LINES" ]; then
    # Async (2 workers, callbacks from the fd) against sync, on the same
    # server in the same run: the ratio of each round, and of the best figures.
    awk '
    function field(line, name) {
        if (match(" " line, " " name "=[^ ]*")) return substr(" " line, RSTART + length(name) + 2, RLENGTH - length(name) - 2) + 0
        return 0
    }
    {
        split("sync_put_ops_s async_put_ops_s sync_get_ops_s async_get_ops_s", names, " ")
        for (i in names) { v = field($0, names[i]); if (v > best[names[i]]) best[names[i]] = v }
        per_put = per_put sprintf(" %.2f", field($0, "put_ratio"))
        per_get = per_get sprintf(" %.2f", field($0, "get_ratio"))
    }
    END {
        printf "\n== async: 2 worker threads against sync calls on redis (best of %d)\n", NR
        printf "  %-30s %10.0f / %10.0f = %5.2fx   target >= 1.5x   per round:%s\n", "put: async / sync", best["async_put_ops_s"], best["sync_put_ops_s"], best["async_put_ops_s"] / best["sync_put_ops_s"], per_put
        printf "  %-30s %10.0f / %10.0f = %5.2fx   target >= 1.5x   per round:%s\n", "get: async / sync", best["async_get_ops_s"], best["sync_get_ops_s"], best["async_get_ops_s"] / best["sync_get_ops_s"], per_get
    }' "$ASYNC_LINES"
fi

exit $failed
