#!/usr/bin/env bash
# check_layers.sh — the layers of src/ (docs/design.md, "Layers"), checked
# two ways:
#   1. every #include "..." of a file in src/<folder>/ names a header of a
#      folder that <folder> may use (or a public cairn/ header); no "../";
#   2. with CC given, every internal header is compiled from each folder's
#      point of view (its CAIRN_LAYER and CAIRN_IN_<FOLDER>): it must compile
#      where it is allowed and stop with its #error where it is not.
#   scripts/check_layers.sh [--cc CC] [--print]
# --print writes each folder's includes (for docs/design.md). Exit 1 on any
# violation, naming it.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT/src" || exit 2
CC=""
PRINT=0
while [ $# -gt 0 ]; do
    case $1 in
    --cc) CC=$2; shift 2 ;;
    --print) PRINT=1; shift ;;
    *) echo "usage: $0 [--cc CC] [--print]" >&2; exit 2 ;;
    esac
done

# folder level may-use...
declare -A LEVEL=([base]=0 [record]=1 [schema]=1 [codec]=1 [cache]=1 [backend]=2 [store]=3
                  [copy]=4 [async]=4 [process]=4 [table]=4)
declare -A USES=(
    [base]="base"
    [record]="base record"
    [schema]="base schema"
    [codec]="base codec"
    [cache]="base cache"
    [backend]="base record schema codec cache backend"
    [store]="base record schema codec cache backend store"
    [copy]="base copy"
    [async]="base async"
    [process]="base process"
    [table]="base table"
)
bad=0
for dir in */; do
    dir=${dir%/}
    if [ -z "${LEVEL[$dir]+x}" ]; then
        echo "src/$dir: a folder with no layer: add it to scripts/check_layers.sh and docs/design.md"
        bad=1
        continue
    fi
    [ $PRINT = 1 ] && printf '\n%s (layer %s) includes:\n' "$dir" "${LEVEL[$dir]}"
    while IFS= read -r line; do
        file=${line%%:*}
        inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
        top=${inc%%/*}
        ok=0
        if [ "$top" = cairn ]; then
            ok=1
        elif [ "$inc" = "$top" ] || [[ "$inc" == ../* ]]; then
            ok=0
        else
            for u in ${USES[$dir]}; do
                [ "$u" = "$top" ] && ok=1
            done
        fi
        [ $PRINT = 1 ] && [ "$top" != cairn ] && echo "  $file: $inc"
        if [ $ok = 0 ]; then
            echo "LAYER VIOLATION: src/$file includes \"$inc\" (src/$dir may use: ${USES[$dir]}, cairn/)"
            bad=1
        fi
    done < <(grep -H '^#include "' "$dir"/*.[ch] 2>/dev/null)
done

# check_header H: compile H from each existing folder's point of view.
check_header() {
    local h=$1 hdir=${1%%/*} dir up allowed u t
    t=$(mktemp -d)
    printf '#include "%s"\n' "$h" >"$t/t.c"
    for dir in */; do
        dir=${dir%/}
        [ -n "${LEVEL[$dir]+x}" ] || continue
        up=$(tr a-z A-Z <<<"$dir")
        allowed=0
        for u in ${USES[$dir]}; do
            [ "$u" = "$hdir" ] && allowed=1
        done
        if "$CC" -fsyntax-only -std=gnu11 -I"$ROOT/include" -I"$ROOT/src" \
            -DCAIRN_LAYER="${LEVEL[$dir]}" -DCAIRN_IN_"$up" "$t/t.c" 2>"$t/err"; then
            if [ $allowed = 0 ]; then
                echo "NOT ENFORCED: src/$h compiles from src/$dir (layer ${LEVEL[$dir]}), which may not use it"
            fi
        elif [ $allowed = 1 ]; then
            echo "src/$h does not compile alone from src/$dir, which may use it:"
            head -n 5 "$t/err"
        fi
    done
    rm -rf "$t"
}

if [ -n "$CC" ]; then
    out=$(mktemp)
    jobs=$(nproc 2>/dev/null || echo 2)
    for h in */*.h; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
            wait -n
        done
        check_header "$h" >>"$out" &
    done
    wait
    if [ -s "$out" ]; then
        cat "$out"
        bad=1
    fi
    rm -f "$out"
fi
[ $bad = 0 ] && echo "layers: ok"
exit $bad
