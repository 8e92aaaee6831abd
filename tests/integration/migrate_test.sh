#!/bin/sh
# migrate_test.sh — end-to-end test of `cairn copy`, `cairn export` and
# `cairn import` from one source backend to every kind of store there is:
# file, sqlite and lmdb, and Redis / PostgreSQL when CAIRN_TEST_REDIS_URL /
# CAIRN_TEST_POSTGRES_URL name a server and this cairn has the backend.
#
# usage: migrate_test.sh CAIRN_BINARY SOURCE_BACKEND [--heavy]
#   --heavy adds the 200,000-record peak-memory check (Linux /proc),
#   sqlite to sqlite whatever the source.
# Prints one line per failed check and a final "N passed, M failed"; exits
# non-zero when a check failed.

set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 CAIRN_BINARY SOURCE_BACKEND [--heavy]" >&2
    exit 2
fi
CAIRN=$1
SRC_KIND=$2
HEAVY=${3:-}
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-migrate-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM
unset CAIRN_STORE

# PASS, FAIL, ok, bad
. "$(dirname "$0")/lib.sh"
# check DESCRIPTION WANT_STATUS COMMAND... — run it, compare its exit status.
check() {
    d=$1 want=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "$d: exit $got, want $want ($(head -c 300 "$T/err"))"; fi
}
has() { # has DESCRIPTION FILE TEXT
    if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not in: $(head -c 300 "$2")"; fi
}
same() { # same DESCRIPTION FILE1 FILE2
    if cmp -s "$2" "$3"; then ok; else bad "$1: differ: $(diff "$2" "$3" | head -5)"; fi
}

# url KIND NAME: a fresh store of KIND (remote kinds: the server's URL).
url() {
    case $1 in
    file) echo "file:$T/$2" ;;
    sqlite) echo "sqlite:$T/$2.db" ;;
    lmdb) echo "lmdb:$T/$2" ;;
    redis) echo "$CAIRN_TEST_REDIS_URL" ;;
    postgres) echo "$CAIRN_TEST_POSTGRES_URL" ;;
    esac
}
KINDS="file sqlite lmdb"
[ -n "${CAIRN_TEST_REDIS_URL:-}" ] && KINDS="$KINDS redis"
[ -n "${CAIRN_TEST_POSTGRES_URL:-}" ] && KINDS="$KINDS postgres"
remote() { [ "$1" = redis ] || [ "$1" = postgres ]; }

# Every record lives under $P: remote servers are shared with other runs.
P=mt$$
S=$(url "$SRC_KIND" src)
n_dest=0

# ---- the source: every format, a model, expiry, versions, odd keys ----
"$CAIRN" -s "$S" put "$P/json" '{"b": [1.50, 2e3] }' || bad "put json"
printf '{\n  "pretty": true\n}\n' | "$CAIRN" -s "$S" put "$P/pretty" || bad "put pretty"
printf 'h\303\251llo\n"world"\\\n' | "$CAIRN" -s "$S" put "$P/text" -f text || bad "put text"
printf '\000\001\377\n\r"\\' | "$CAIRN" -s "$S" put "$P/bytes" -f bytes || bad "put bytes"
"$CAIRN" -s "$S" put "$P/empty" '' -f bytes || bad "put empty"
# A put under a model validates against the store's registry: register it
# (copy and export carry it: a record under a model is validated where it
# goes).
printf '{"type": "object"}' >"$T/m.json"
"$CAIRN" -s "$S" model add m "$T/m.json" --namespace ns >/dev/null || bad "model add"
"$CAIRN" -s "$S" put "$P/model" '{"n":1}' --model ns/m || bad "put model"
"$CAIRN" -s "$S" put "$P/ttl" 1 --ttl 1h || bad "put ttl"
"$CAIRN" -s "$S" put "$P/sp ace/$(printf '\303\274')" '"u"' || bad "put unicode key"
for i in 1 2 3; do "$CAIRN" -s "$S" put "$P/v3" "$i" -e overwrite || bad "put v3"; done
"$CAIRN" -s "$S" put "$P/gone" 0 --ttl 300ms || bad "put gone"
"$CAIRN" -s "$S" put other 0 || bad "put other"
# User metadata, and a value stored compressed (issue 5).
"$CAIRN" -s "$S" put "$P/meta" '{"m":1}' --meta '{"source":"x", "n":[1,2]}' || bad "put --meta"
printf 'abc,%.0s' $(seq 3000) | "$CAIRN" -s "$S" put "$P/zbig" -f text || bad "put zbig"
LIVE=11
sleep 1 # $P/gone expires
"$CAIRN" -s "$S" ls --json "$P" >"$T/src.ls" || bad "ls source"
"$CAIRN" -s "$S" export "$P" >"$T/src.jsonl" 2>"$T/err" || bad "export source"
# One line per record, after the line of the model they reference.
if [ "$(wc -l <"$T/src.jsonl")" -eq $((LIVE + 1)) ]; then ok; else bad "export: $(wc -l <"$T/src.jsonl") lines, want $((LIVE + 1))"; fi
has "export: the model line first" "$T/src.jsonl" '{"dump":1,"model":"ns/m","version":1,"schema":{"type": "object"}}'
if head -n 1 "$T/src.jsonl" | grep -q '"schema"'; then ok; else bad "export: the model line is not first"; fi
if grep -q '"gone"\|/gone' "$T/src.jsonl"; then bad "export: an expired record was exported"; else ok; fi
if grep -q '"key":"other"' "$T/src.jsonl"; then bad "export PREFIX: a key outside it"; else ok; fi
has "export: first line has the dump version" "$T/src.jsonl" '{"dump":1,'
has "export: bytes as base64" "$T/src.jsonl" '"encoding":"base64"'
has "export: JSON inline" "$T/src.jsonl" '"value":{"b": [1.50, 2e3] }}'

for D in $KINDS; do
    DU=$(url "$D" "dst-$D")
    # Not built in: exit 6 and a message; leave that kind out.
    "$CAIRN" -s "$DU" count >/dev/null 2>"$T/err"
    if [ $? -eq 6 ] && grep -q "not built" "$T/err"; then
        echo "($D: not built into this cairn, left out)"
        continue
    fi
    n_dest=$((n_dest + 1))
    remote "$D" && "$CAIRN" -s "$DU" rm --prefix "$P" >/dev/null 2>&1

    # ---- copy ----
    check "copy $SRC_KIND -> $D" 0 "$CAIRN" copy --from "$S" --to "$DU" --prefix "$P"
    has "copy $SRC_KIND -> $D: summary" "$T/err" "$LIVE copied, 0 skipped"
    if grep -q "$(printf '\r')" "$T/err"; then bad "copy: progress drawn into a pipe"; else ok; fi
    "$CAIRN" -s "$DU" ls --json "$P" >"$T/dst.ls"
    same "copy $SRC_KIND -> $D: keys and metadata (versions, times, expiry, model, checksum)" \
        "$T/src.ls" "$T/dst.ls"
    for k in json pretty text bytes empty zbig; do
        "$CAIRN" -s "$S" get "$P/$k" >"$T/a"
        "$CAIRN" -s "$DU" get "$P/$k" >"$T/b"
        same "copy $SRC_KIND -> $D: value of $k" "$T/a" "$T/b"
    done
    for k in meta zbig; do
        "$CAIRN" -s "$S" get "$P/$k" --meta >"$T/a"
        "$CAIRN" -s "$DU" get "$P/$k" --meta >"$T/b"
        same "copy $SRC_KIND -> $D: get --meta of $k (user metadata, compression)" "$T/a" "$T/b"
    done
    has "copy: user metadata carried" "$T/a" '"compression":"zstd"'
    check "copy again" 0 "$CAIRN" copy --from "$S" --to "$DU" --prefix "$P"
    has "copy again: all skipped" "$T/err" "0 copied, $LIVE skipped"
    "$CAIRN" -s "$DU" ls --json "$P" >"$T/dst.ls"
    same "copy again: nothing rewritten" "$T/src.ls" "$T/dst.ls"

    # ---- export | import ----
    if remote "$D"; then
        "$CAIRN" -s "$DU" rm --prefix "$P" >/dev/null
        IU=$DU
    else
        IU=$(url "$D" "imp-$D")
    fi
    check "import $SRC_KIND dump -> $D" 0 sh -c "\"$CAIRN\" -s \"$IU\" import < \"$T/src.jsonl\""
    has "import: summary" "$T/err" "$LIVE imported, 0 skipped"
    "$CAIRN" -s "$IU" ls --json "$P" >"$T/imp.ls"
    same "export|import $SRC_KIND -> $D: keys and metadata" "$T/src.ls" "$T/imp.ls"
    "$CAIRN" -s "$IU" export "$P" >"$T/imp.jsonl"
    same "export|import $SRC_KIND -> $D: the dumps are equal" "$T/src.jsonl" "$T/imp.jsonl"
    "$CAIRN" -s "$IU" get "$P/meta" --meta >"$T/b"
    has "export|import: user metadata carried" "$T/b" '"meta":{"source":"x", "n":[1,2]}'
    check "import again" 0 sh -c "\"$CAIRN\" -s \"$IU\" import < \"$T/src.jsonl\""
    has "import again: all skipped" "$T/err" "0 imported, $LIVE skipped"
    remote "$D" && "$CAIRN" -s "$DU" rm --prefix "$P" >/dev/null 2>&1
done
if [ $n_dest -ge 3 ]; then ok; else bad "only $n_dest destination kinds ran"; fi

# ---- resumability ----
N=20000
awk -v n=$N -v p="$P" 'BEGIN { for (i = 0; i < n; i++)
    printf "{\"dump\":1,\"key\":\"%s/r/%d/%05d\",\"format\":\"json\",\"value\":{\"i\":%d}}\n", p, i / 10000, i, i }' \
    >"$T/many.jsonl"
S2=$(url "$SRC_KIND" many)
check "import $N records" 0 sh -c "\"$CAIRN\" -s \"$S2\" import < \"$T/many.jsonl\""
"$CAIRN" -s "$S2" ls --json "$P" >"$T/many.ls"
D2=$(url sqlite resume)
[ "$SRC_KIND" = sqlite ] && D2=$(url lmdb resume)
# Interrupted by kill -9 half-way, then run again.
"$CAIRN" copy --from "$S2" --to "$D2" --prefix "$P" 2>/dev/null &
pid=$!
i=0
while [ $i -lt 200 ]; do
    c=$("$CAIRN" -s "$D2" count "$P" 2>/dev/null || echo 0)
    [ "${c:-0}" -gt 0 ] && break
    sleep 0.01
    i=$((i + 1))
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
c=$("$CAIRN" -s "$D2" count "$P" 2>/dev/null || echo 0)
echo "(kill -9 stopped the copy after ${c:-0} of $N records)"
check "copy after kill -9" 0 "$CAIRN" copy --from "$S2" --to "$D2" --prefix "$P"
has "copy after kill -9: the rest copied" "$T/err" "$((N - c)) copied, $c skipped"
"$CAIRN" -s "$D2" ls --json "$P" >"$T/resumed.ls"
same "copy after kill -9: complete, nothing duplicated or changed" "$T/many.ls" "$T/resumed.ls"
# A prefix first, then everything.
D3=$(url "$SRC_KIND" prefixfirst)
check "copy a prefix first" 0 "$CAIRN" copy --from "$S2" --to "$D3" --prefix "$P/r/0"
has "copy a prefix: only it" "$T/err" "10000 copied, 0 skipped"
"$CAIRN" -s "$D3" put "$P/extra" '"not from the source"'
"$CAIRN" -s "$D3" put "$P/r/1/15000" '"mine"'
check "copy --if-exists different stops at a different value" 4 \
    "$CAIRN" copy --from "$S2" --to "$D3" --prefix "$P" --if-exists different
has "copy --if-exists different: names the key" "$T/err" "$P/r/1/15000"
check "copy the rest" 0 "$CAIRN" copy --from "$S2" --to "$D3" --prefix "$P"
has "copy the rest: different value kept and counted as skipped" "$T/err" "skipped"
"$CAIRN" -s "$D3" get "$P/r/1/15000" >"$T/a"
printf '"mine"' >"$T/b"
same "copy: a different value at the destination is kept" "$T/a" "$T/b"
c=$("$CAIRN" -s "$D3" count "$P")
if [ "$c" -eq $((N + 1)) ]; then ok; else bad "copy the rest: $c records, want $((N + 1))"; fi
# Import: half a dump, then all of it.
D4=$(url "$SRC_KIND" halfimport)
head -n $((N / 2)) "$T/many.jsonl" >"$T/half.jsonl"
check "import half" 0 sh -c "\"$CAIRN\" -s \"$D4\" import < \"$T/half.jsonl\""
check "import all after half" 0 sh -c "\"$CAIRN\" -s \"$D4\" import < \"$T/many.jsonl\""
has "import all after half: summary" "$T/err" "$((N / 2)) imported, $((N / 2)) skipped"
"$CAIRN" -s "$D4" ls --json "$P" | sed 's/"created[^,]*,//g; s/"updated[^,]*,//g' >"$T/a"
sed 's/"created[^,]*,//g; s/"updated[^,]*,//g' "$T/many.ls" >"$T/b"
same "import all after half: same records" "$T/a" "$T/b"

# ---- bad dump lines: exit 5, the line named, lines before it imported ----
GOOD1='{"dump":1,"key":"'$P'/ok1","format":"json","value":1}'
GOOD2='{"dump":1,"key":"'$P'/ok2","format":"text","value":"t"}'
GOOD4='{"dump":1,"key":"'$P'/ok4","format":"json","value":4}'
n_bad=0
for line in \
    'not json' \
    '{"dump":1,"key":"'$P'/x","format":"json","value":1' \
    '{"dump":2,"key":"'$P'/x","format":"json","value":1}' \
    '{"dump":1,"key":"'$P'/x","format":"json","value":1,"colour":"red"}' \
    '{"dump":1,"key":"'$P'/x","format":"json"}' \
    '{"dump":1,"key":"'$P'/x","format":"yaml","value":1}' \
    '{"dump":1,"key":"'$P'/x","format":"bytes","encoding":"base64","value":"!!!!"}' \
    '{"dump":1,"key":"'$P'/x","format":"json","value":{"a":}}' \
    '{"dump":1,"key":"'$P'/x","format":"json","encoding":"text","value":"{"}' \
    '{"dump":1,"key":"'$P'/../x","format":"json","value":1}' \
    '{"dump":1,"key":"_cairn/x","format":"json","value":1}' \
    '{"dump":1,"key":"'$P'/x","format":"json","checksum":"0000000000000001","value":1}' \
    '{"dump":1,"key":"'$P'/x","format":"json","created_ms":5,"updated_ms":4,"value":1}' \
    '{"dump":1,"key":"'$P'/x","format":"json","value":1,"value":2}'; do
    n_bad=$((n_bad + 1))
    B=$(url "$SRC_KIND" "bad$n_bad")
    printf '%s\n%s\n%s\n%s\n' "$GOOD1" "$GOOD2" "$line" "$GOOD4" >"$T/bad.jsonl"
    check "import bad line #$n_bad" 5 sh -c "\"$CAIRN\" -s \"$B\" import < \"$T/bad.jsonl\""
    has "import bad line #$n_bad: names the line" "$T/err" "line 3:"
    c=$("$CAIRN" -s "$B" count "$P" 2>/dev/null)
    if [ "$c" = 2 ]; then ok; else bad "import bad line #$n_bad: $c records, want the 2 lines before it"; fi
done
# The same key twice in one dump: the second is a bad line under --if-exists fail.
B=$(url "$SRC_KIND" badfail)
printf '%s\n%s\n' "$GOOD1" "$GOOD1" >"$T/bad.jsonl"
check "import a repeated key with --if-exists fail" 4 \
    sh -c "\"$CAIRN\" -s \"$B\" import --if-exists fail < \"$T/bad.jsonl\""
has "import a repeated key: names the line" "$T/err" "line 2:"
# An expired record in a dump is not imported; blank lines are ignored.
B=$(url "$SRC_KIND" expired)
printf '%s\n\n{"dump":1,"key":"%s/old","format":"json","expires_ms":1000,"value":1}\n' \
    "$GOOD1" "$P" >"$T/exp.jsonl"
check "import an expired record" 0 sh -c "\"$CAIRN\" -s \"$B\" import < \"$T/exp.jsonl\""
has "import an expired record: counted" "$T/err" "1 imported, 0 skipped (already there), 1 expired"

# ---- progress: on a terminal only ----
if command -v script >/dev/null 2>&1; then
    D5=$(url sqlite progress)
    script -qec "\"$CAIRN\" copy --from \"$S2\" --to \"$D5\" --prefix \"$P\"" /dev/null \
        >"$T/tty" 2>&1
    has "copy on a terminal: a progress bar" "$T/tty" "records/s"
    has "copy on a terminal: the bar" "$T/tty" "[####################] 100% $N copied"
    if grep -q "$(printf '\r')" "$T/tty"; then ok; else bad "copy on a terminal: no redraw"; fi
else
    echo "(no 'script' command: the terminal progress check is left out)"
fi

# ---- usage and help ----
for c in copy export import; do
    check "$c --help" 0 "$CAIRN" "$c" --help
    has "$c --help" "$T/out" "Usage: cairn [--store URL] $c"
done
check "copy without --to" 2 "$CAIRN" copy --from "$S"
check "copy to itself" 2 "$CAIRN" copy --from "$S" --to "$S"
check "copy a missing store" 3 "$CAIRN" copy --from "file:$T/nothing" --to "$(url file x)"
check "import with an argument" 2 "$CAIRN" -s "$S" import dump.jsonl
check "copy --if-exists bad" 2 "$CAIRN" copy --from "$S" --to "$(url file y)" --if-exists maybe

# ---- peak memory of a 200,000-record copy (bounded, not growing) ----
# Anonymous memory (RssAnon), sampled every 50 ms: the stores' memory maps
# (SQLite mmap, LMDB) are file pages and would hide what the copy holds.
if [ "$HEAVY" = --heavy ]; then
    peak_anon() { # peak_anon COMMAND...: the largest RssAnon (KiB) seen
        # Under ASan, freed memory waits in a quarantine (256 MB): not ours.
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" "$@" 2>/dev/null &
        pid=$!
        max=0
        while kill -0 $pid 2>/dev/null; do
            a=$(awk '/^RssAnon:/ { print $2 }' /proc/$pid/status 2>/dev/null)
            [ -n "$a" ] && [ "$a" -gt "$max" ] && max=$a
            sleep 0.05
        done
        wait $pid || bad "peak_anon: $* failed"
        echo $max
    }
    rss() { # rss N: peak anonymous memory of copying N records (sqlite to sqlite)
        awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
            printf "{\"dump\":1,\"key\":\"m/%07d\",\"format\":\"text\",\"value\":\"%0200d\"}\n", i, i }' |
            "$CAIRN" -s "$(url sqlite "rss$1")" import 2>/dev/null
        peak_anon "$CAIRN" copy --from "$(url sqlite "rss$1")" --to "$(url sqlite "rssdst$1")"
    }
    if [ -r /proc/self/status ]; then
        small=$(rss 20000)
        big=$(rss 200000)
        echo "(peak anonymous memory of cairn copy: $small KiB for 20,000 records, $big KiB for 200,000)"
        # 180,000 more records of 200 bytes are 36 MB of values alone: a copy
        # that held them would grow by more; a streaming one only fills the
        # SQLite page caches (8 MiB per store).
        if [ "$small" -gt 0 ] && [ "$big" -lt $((small + 20480)) ]; then ok; else
            bad "copy: peak anonymous memory grew from $small to $big KiB"
        fi
    else
        echo "(no /proc: the peak memory check is left out)"
    fi
fi

echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
