#!/bin/sh
# cli_test.sh — end-to-end test of the cairn command: every command, option
# and exit status of docs/cli.md, as named checks (the check_NAME functions
# below), each on an empty store of its own, so that any one runs alone.
#
# usage: cli_test.sh CAIRN_BINARY STORE [CHECK...]
#        cli_test.sh --list
#   STORE is a backend name (file, sqlite, lmdb: a fresh store per check is
#   made in a temporary folder) or a store URL naming an empty store that
#   exists (postgres: an empty table; the checks share it, and it is
#   emptied again before each). Without CHECKs every check runs, in order;
#   --list prints their names. CTest runs each as cli/CHECK/BACKEND.
# Prints one line per failed check ("FAIL: [CHECK] ...") and a final
# "N passed, M failed"; exits non-zero when a check failed.

set -u

# The names of the checks: the check_NAME functions of this file, in order.
checks() { sed -n 's/^check_\([a-z0-9_]*\)() {$/\1/p' "$0"; }
if [ "${1:-}" = --list ]; then
    checks
    exit 0
fi
if [ $# -lt 2 ]; then
    echo "usage: $0 CAIRN_BINARY STORE [CHECK...] | $0 --list" >&2
    exit 2
fi
CAIRN=$1
STORE=$2
shift 2
for name in "$@"; do
    if ! checks | grep -qx -e "$name"; then
        echo "$0: no check '$name' (the checks: $(checks | tr '\n' ' '))" >&2
        exit 2
    fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

# A relative binary path must survive the `cd` of the default-store check.
case $CAIRN in
/*) ;;
*) CAIRN=$(pwd)/$CAIRN ;;
esac
if [ ! -x "$CAIRN" ]; then
    echo "$0: $CAIRN is not an executable" >&2
    exit 1
fi

# store_url NAME: a fresh store of backend scheme NAME under $T.
store_url() {
    case $1 in
    file) echo "file:$T/$2" ;;
    sqlite) echo "sqlite:$T/$2.db" ;;
    lmdb) echo "lmdb:$T/$2" ;;
    mem) echo "mem:" ;;
    *) return 1 ;;
    esac
}
SCHEME=
URL=
if store_url "$STORE" probe >/dev/null; then
    SCHEME=$STORE
else
    URL=$STORE
fi
if [ "$SCHEME" = mem ]; then
    echo "$0: mem: does not outlive one process; give file, sqlite or lmdb" >&2
    exit 2
fi
unset CAIRN_STORE

# PASS, FAIL, ok, bad (which names $CHECK)
. "$(dirname "$0")/lib.sh"

# c ARGS...: run cairn on the store; stdout in $T/out, stderr in $T/err,
# exit status in $RC. Stdin is empty unless redirected by the caller (ci).
c() {
    "$CAIRN" --store "$URL" "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
}
# ci FILE ARGS...: the same with stdin read from FILE.
ci() {
    f=$1
    shift
    "$CAIRN" --store "$URL" "$@" >"$T/out" 2>"$T/err" <"$f"
    RC=$?
}

# on URL ARGS...: c on another store (a destination of copy, import);
# oni URL FILE ARGS...: the same with stdin read from FILE.
on() {
    u=$1
    shift
    "$CAIRN" --store "$u" "$@" >"$T/out" 2>"$T/err" </dev/null
    RC=$?
}
oni() {
    u=$1 f=$2
    shift 2
    "$CAIRN" --store "$u" "$@" >"$T/out" 2>"$T/err" <"$f"
    RC=$?
}
# other NAME: a new empty store's URL under $T (of the backend under test,
# file for a store URL), for the check running.
other() { store_url "${SCHEME:-file}" "$CHECK-$1"; }

# rc NAME EXPECTED: check the last exit status.
rc() {
    if [ "$RC" -eq "$2" ]; then
        ok
    else
        bad "$1: exit $RC, expected $2 (stderr: $(head -c 300 "$T/err"))"
    fi
}
# out NAME EXPECTED: check the last stdout (trailing newlines ignored).
out() {
    got=$(cat "$T/out")
    if [ "$got" = "$2" ]; then
        ok
    else
        bad "$1: stdout '$got', expected '$2'"
    fi
}
# has NAME FILE STRING: FILE contains STRING (fixed string).
has() {
    if grep -F -q -e "$3" "$2"; then
        ok
    else
        bad "$1: $(basename "$2") lacks '$3': $(head -c 300 "$2")"
    fi
}
# one_line NAME: stderr is exactly one line.
one_line() {
    n=$(wc -l <"$T/err")
    if [ "$n" -eq 1 ]; then ok; else bad "$1: stderr has $n lines: $(cat "$T/err")"; fi
}
# same NAME FILE1 FILE2: byte-identical files.
same() {
    if cmp -s "$2" "$3"; then ok; else bad "$1: $2 and $3 differ"; fi
}
# json_lines NAME FILE: every line of FILE is one JSON object (when a python3
# is there to check; the grep checks elsewhere do not need it).
PY=
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import json' 2>/dev/null; then
        PY=$p
        break
    fi
done
json_lines() {
    [ -n "$PY" ] || return 0
    if "$PY" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    assert isinstance(json.loads(line), dict)
' "$2" 2>"$T/pyerr"; then
        ok
    else
        bad "$1: not one JSON object per line: $(tail -n 1 "$T/pyerr")"
    fi
}

# must ARGS...: c ARGS as a step that sets a check up: a failure is
# reported (and counted) as such.
must() {
    c "$@"
    [ "$RC" -eq 0 ] || bad "setup: cairn $*: exit $RC ($(head -c 300 "$T/err"))"
}

# fresh NAME: $URL becomes an empty store that exists, for check NAME: a new
# one under $T (made by a put and a rm) for a backend name; for a store URL,
# that store with every key (expired ones too) and every model removed.
fresh() {
    if [ -n "$SCHEME" ]; then
        URL=$(store_url "$SCHEME" "$1")
        must put k/init 1
        must rm k/init
    else
        c ls
        tr '\n' '\0' <"$T/out" | xargs -0 -r "$CAIRN" --store "$URL" rm -- >/dev/null 2>&1
        c purge
        c model ls
        tr '\n' '\0' <"$T/out" | xargs -0 -r -n 1 "$CAIRN" --store "$URL" model rm -- \
            >/dev/null 2>&1
    fi
    empty_or_stop
}

# empty_or_stop: the store at $URL holds no key, or the test stops here
# (it empties the store between checks: never one with data of its own).
empty_or_stop() {
    c count
    rc "count on a fresh store" 0
    if [ "$(cat "$T/out")" != 0 ]; then
        # (the URL without its password, as the library prints it)
        echo "$0: the store $(printf '%s' "$URL" | sed 's#^\([a-z]*://[^:/@]*:\)[^@/]*@#\1***@#') is" \
            "not empty; give an empty one" >&2
        exit 1
    fi
}

# model_files: the schemas of the model checks, under $T.
model_files() {
    cat >"$T/person1.json" <<'EOF'
{"title": "Person", "type": "object",
 "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                "email": {"type": ["string", "null"], "default": null}},
 "required": ["name", "age"]}
EOF
    # the same schema, spelt differently
    printf '%s' '{"required":["name","age"],"type":"object","title":"Person","properties":{"age":{"type":"integer"},"email":{"default":null,"type":["string","null"]},"name":{"type":"string"}}}' >"$T/person1b.json"
    cat >"$T/person2.json" <<'EOF'
{"title": "Person", "type": "object",
 "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 18},
                "email": {"type": ["string", "null"], "default": null}},
 "required": ["name", "age"], "additionalProperties": false}
EOF
    printf '{"type":"object","properties":{"a":{"type":"integer"}}}' >"$T/point.json"
    printf '{}' >"$T/any.json"
}

# person_models: the models that check_models leaves registered:
# default/Person@1 and @2, hr/Person@1 and ns/point@1.
person_models() {
    model_files
    must model add ns/point "$T/point.json"
    must model add Person "$T/person1.json"
    must model add Person "$T/person2.json" --new-version
    must model add Person "$T/person1.json" --namespace hr
}

# ---- reads never create a store; the first write does (a store named by a
# backend only: a URL names one that exists) ----
check_create() {
    [ -n "$SCHEME" ] || return 0
    URL=$(store_url "$SCHEME" store)
    for cmd in "get k" "exists k" "ls" "range a" "count" "stats" "rm k" "rm --prefix p" "purge" \
        "upgrade"; do
        # shellcheck disable=SC2086
        c $cmd
        rc "$cmd on a store that does not exist" 3
        has "$cmd on a store that does not exist says so" "$T/err" "no cairn store at"
    done
    if [ -e "$T/store" ] || [ -e "$T/store.db" ]; then
        bad "a read created the store"
    else
        ok
    fi
    c put k/init 1
    rc "put creates the store" 0
    c rm k/init
    rc "rm on the new store" 0
}

# ---- every command that only reads (or only removes) opens a store that
# is there and makes nothing: on a path that holds nothing, an empty folder
# and, on lmdb, an LMDB folder given without lmdb: (the file backend's
# folder check); each says "no cairn store at PATH", exit 3 (issue 15.2) ----
check_reads_create_nothing() {
    [ -n "$SCHEME" ] || return 0
    R=$T/reads
    mkdir -p "$R/empty"
    printf '{"a":1}' >"$R/doc.json"
    case $SCHEME in
    file) targets="$R/none $R/empty file:$R/empty/deeper" ;;
    sqlite) targets="sqlite:$R/none.db sqlite:$R/empty/x.db" ;;
    lmdb)
        targets="lmdb:$R/none lmdb:$R/empty $R/lm"
        "$CAIRN" --store "lmdb:$R/lm" put k 1 >/dev/null 2>&1 ||
            bad "setup: cannot make an LMDB store in $R/lm"
        ;;
    esac
    find "$R" -printf '%p %s\n' | sort >"$T/before"
    for URL in $targets; do
        for cmd in "ls" "get k" "cat k" "exists k" "range a" "count" "stats" "export" \
            "model ls" "model show Person" "validate Person $R/doc.json" \
            "copy --from $URL --to mem:" "rm k" "rm --prefix p" "purge" "clear --yes" \
            "model rm Person" "upgrade"; do
            # shellcheck disable=SC2086
            c $cmd
            rc "$cmd on $URL" 3
            has "$cmd on $URL says so" "$T/err" "no cairn store at"
            find "$R" -printf '%p %s\n' | sort >"$T/after"
            if cmp -s "$T/before" "$T/after"; then
                ok
            else
                bad "$cmd on $URL made something: $(diff "$T/before" "$T/after" | grep '^>')"
                cp "$T/after" "$T/before"
            fi
        done
    done
}

# ---- help and version ----
check_help() {
    c --help
    rc "--help" 0
    has "--help lists commands" "$T/out" "Usage: cairn"
    for cmd in put get exists rm ls range count incr purge upgrade stats model validate bench \
        help; do
        c "$cmd" --help
        rc "$cmd --help" 0
        has "$cmd --help" "$T/out" "cairn [--store URL] $cmd"
        c help "$cmd"
        rc "help $cmd" 0
    done
    c help nosuch
    rc "help of an unknown command" 2
    c --version
    rc "--version" 0
    has "--version" "$T/out" "cairn "
    "$CAIRN" >"$T/out" 2>"$T/err"
    RC=$?
    rc "no command" 2
}

# ---- usage errors: exit 2 ----
check_usage() {
    c nosuch
    rc "unknown command" 2
    one_line "unknown command: one line"
    c put
    rc "put without KEY" 2
    c put k 1 extra
    rc "put with too many arguments" 2
    c get
    rc "get without KEY" 2
    c get k --nosuch
    rc "unknown option" 2
    c put k 1 --if-exists sometimes
    rc "--if-exists bad mode" 2
    c put k 1 --format yaml
    rc "--format bad name" 2
    c put k 1 --ttl
    rc "--ttl without a value" 2
    for d in 5x 1.5s ms -3s 0s "" 1h30 99999999999999999999d; do # ("5" is 5 s)
        c put k 1 --ttl "$d"
        rc "--ttl '$d' rejected" 2
    done
    c put k 1 --if-version 0
    rc "--if-version 0" 2
    c put k 1 --if-version 3 --if-exists overwrite
    rc "--if-version with --if-exists" 2
    c ls --limit x
    rc "--limit not a number" 2
    c incr k notanumber
    rc "incr BY not a number" 2
    c rm
    rc "rm without KEY" 2
    c rm a --prefix b
    rc "rm KEY and --prefix" 2
    c stats extra
    rc "stats with an argument" 2
    c exists k
    rc "usage errors wrote nothing" 3
}

# ---- put / get ----
check_put_get() {
    c put runs/1 '{"loss": 0.25, "tags": ["a", "b"]}'
    rc "put" 0
    c get runs/1
    rc "get" 0
    out "get prints the value" '{"loss": 0.25, "tags": ["a", "b"]}'
    c put runs/1 '{"loss": 0.5}'
    rc "put on an existing key fails" 4
    has "exists error names key and reason" "$T/err" "put runs/1: already exists"
    one_line "exists error is one line"
    c put runs/1 '{"loss": 0.5}' --if-exists fail
    rc "--if-exists fail" 4
    c put runs/1 '{"loss": 0.5}' --if-exists skip
    rc "--if-exists skip exits 0" 0
    has "skip says skipped" "$T/err" "skipped"
    c get runs/1
    out "skip left the value" '{"loss": 0.25, "tags": ["a", "b"]}'
    c put runs/1 '{ "tags":["a","b"], "loss":0.25 }' --if-exists different
    rc "--if-exists different, same JSON" 0
    c put runs/1 '{"loss": 0.3}' --if-exists different
    rc "--if-exists different, different JSON" 4
    has "different error names the key" "$T/err" "runs/1"
    c put runs/1 '{"loss": 0.3}' --if-exists overwrite
    rc "--if-exists overwrite" 0
    c get runs/1
    out "overwrite wrote" '{"loss": 0.3}'
    c put /runs//2/ '7'
    rc "put normalises the key" 0
    c get runs/2
    out "normalised key reads back" 7
    c put --format text -- -dash 'plain text'
    rc "-- ends options" 0
    c get -- -dash
    out "key starting with a dash" 'plain text'
    c put --if-exists=overwrite --format=text runs/2 'eq-form'
    rc "--opt=value form" 0
    c get runs/2
    out "--opt=value wrote" 'eq-form'
}

# ---- metadata (runs/1 as check_put_get leaves it) ----
check_meta() {
    must put runs/1 '{"loss": 0.25, "tags": ["a", "b"]}'
    must put runs/1 '{"loss": 0.3}' --if-exists overwrite
    c get runs/1 --meta
    rc "get --meta" 0
    for f in '"key":"runs/1"' '"version":2' '"format":"json"' '"size":13' '"checksum":"' \
        '"compression":"none"' '"model":null' '"created":"' '"created_ms":' '"updated":"' \
        '"updated_ms":' '"expires":null' '"expires_ms":null'; do
        has "get --meta field $f" "$T/out" "$f"
    done
    json_lines "get --meta is JSON" "$T/out"
    if grep -q -E '"created":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"' "$T/out"; then
        ok
    else
        bad "created is not ISO-8601 UTC: $(cat "$T/out")"
    fi
    c get runs/1 -m
    rc "get -m" 0
    printf '{"type":"object","properties":{"a":{"type":"integer"}}}' >"$T/point.json"
    c model add ns/point "$T/point.json"
    rc "model add ns/point" 0
    c put modelled '{"a":1}' --model ns/point
    rc "put --model" 0
    c get modelled --meta
    has "--model kept in metadata" "$T/out" '"model":"ns/point@1"'
    ver=$(sed -n 's/.*"version":\([0-9]*\).*/\1/p' "$T/out")
    c put badmodel '{"a":1}' --model 'bad model!'
    rc "put --model with a bad reference" 5
}

# ---- blobs: user metadata and compression ----
check_blobs() {
    c put blob/m '{"v":1}' --meta '{"source":"x","rows":3}'
    rc "put --meta" 0
    c get blob/m --meta
    rc "get --meta with user metadata" 0
    for f in '"meta":{"source":"x","rows":3}' '"stored_size":7' '"compression":"none"' \
        '"size":7' '"version":1' '"checksum":"' '"created_ms":' '"updated_ms":' \
        '"expires_ms":null' '"model":null' '"format":"json"'; do
        has "get --meta (user metadata) field $f" "$T/out" "$f"
    done
    json_lines "get --meta with user metadata is JSON" "$T/out"
    if [ -z "$PY" ] || "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if m["meta"]=={"source":"x","rows":3} else 1)' "$T/out"; then
        ok
    else
        bad "meta is not the object given: $(cat "$T/out")"
    fi
    c put blob/bad 1 --meta '[1,2]'
    rc "put --meta with an array" 5
    has "put --meta refusal says why" "$T/err" "not a JSON object"
    c exists blob/bad
    rc "refused --meta wrote nothing" 3
    c put blob/bad 1 --meta '{"a":'
    rc "put --meta that is not JSON" 5
    printf "row,value\\n%.0s" $(seq 2000) >"$T/csv" #\n" * 2000, end="")' >"$T/csv"
    ci "$T/csv" put blob/z --format text
    rc "put a compressible 18 KB value" 0
    c get blob/z
    same "compressed value read back byte-exact" "$T/out" "$T/csv"
    c get blob/z --meta
    has "big value stored compressed" "$T/out" '"compression":"zstd"'
    has "big value size is the uncompressed size" "$T/out" '"size":20000'
    ci "$T/csv" put blob/raw --format text --no-compress
    c get blob/raw --meta
    has "--no-compress stores raw" "$T/out" '"compression":"none"'
    has "--no-compress stored_size" "$T/out" '"stored_size":20000'
    c put blob/small 'abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc' --format text --compress-min 16
    c get blob/small --meta
    has "--compress-min 16 compresses a 45-byte value" "$T/out" '"compression":"zstd"'
    c put blob/x 1 --compress-min 0
    rc "--compress-min 0 refused" 2
    # A flipped byte inside the stored (compressed) record, in the SQLite file:
    # "corrupt record", never other data; the raw copy is untouched.
    if [ "$SCHEME" = sqlite ] && command -v sqlite3 >/dev/null 2>&1; then
        DB=${URL#sqlite:}
        for back in 3 12 20; do
            sqlite3 "$DB" "UPDATE cairn_records SET h = CAST(substr(h, 1, length(h) - $back) ||
            CASE WHEN substr(h, length(h) - $back + 1, 1) = X'00' THEN X'01' ELSE X'00' END ||
            substr(h, length(h) - $back + 2) AS BLOB) WHERE k = CAST('blob/z' AS BLOB);"
            c get blob/z
            rc "flipped byte $back from the end of a compressed record" 1
            has "flipped byte: corrupt record" "$T/err" "corrupt record"
            has "flipped byte: names the key" "$T/err" "blob/z"
            ci "$T/csv" put blob/z --format text --if-exists overwrite
            c get blob/z
            same "overwrite repairs a corrupt record" "$T/out" "$T/csv"
        done
        c get blob/raw
        same "the raw neighbour is untouched" "$T/out" "$T/csv"
    fi
}

# ---- compare-and-set (on the record check_meta stores) ----
check_cas() {
    model_files
    must model add ns/point "$T/point.json"
    must put modelled '{"a":1}' --model ns/point
    c get modelled --meta
    ver=$(sed -n 's/.*"version":\([0-9]*\).*/\1/p' "$T/out")
    c put modelled '{"a":2}' --if-version "$ver"
    rc "--if-version current" 0
    c put modelled '{"a":3}' --if-version "$ver"
    rc "--if-version stale" 4
    has "--if-version error names the key" "$T/err" "modelled"
    c get modelled
    out "stale CAS wrote nothing" '{"a":2}'
    c put cas/absent 1 --if-version 1
    rc "--if-version on an absent key" 3
}

# ---- stdin ----
check_stdin() {
    printf '{"from": "stdin"}\n' >"$T/in"
    ci "$T/in" put in/1
    rc "put from stdin (no VALUE)" 0
    c get in/1
    same "stdin value byte-exact (newline kept)" "$T/out" "$T/in"
    ci "$T/in" put in/2 -
    rc "put from stdin (VALUE -)" 0
    c get in/2
    same "stdin '-' byte-exact" "$T/out" "$T/in"
    printf 'no newline' >"$T/in"
    ci "$T/in" put in/3 --format text
    c get in/3
    same "get adds no newline" "$T/out" "$T/in"
    # Every byte value, through a pipe.
    i=0
    : >"$T/bin"
    while [ $i -lt 256 ]; do
        # shellcheck disable=SC2059
        printf "\\$(printf %03o $i)" >>"$T/bin"
        i=$((i + 1))
    done
    "$CAIRN" --store "$URL" put in/bin --format bytes <"$T/bin" >/dev/null 2>"$T/err"
    RC=$?
    rc "put binary bytes" 0
    c get in/bin
    same "binary value byte-exact" "$T/out" "$T/bin"
    c get in/bin --meta
    has "binary format" "$T/out" '"format":"bytes"'
    has "binary size" "$T/out" '"size":256'
    # 10 MiB values, bytes and JSON.
    head -c 10485760 /dev/urandom >"$T/big"
    cat "$T/big" | "$CAIRN" --store "$URL" put in/big --format bytes >/dev/null 2>"$T/err"
    RC=$?
    rc "put 10 MiB from a pipe" 0
    c get in/big
    same "10 MiB read back" "$T/out" "$T/big"
    {
        printf '{"blob": "'
        head -c 11000000 /dev/zero | tr '\0' 'x'
        printf '"}'
    } >"$T/bigjson"
    ci "$T/bigjson" put in/bigjson
    rc "put 11 MB JSON from a file" 0
    c get in/bigjson
    same "11 MB JSON read back" "$T/out" "$T/bigjson"
    ci "$T/big" put in/notjson
    rc "binary bytes as JSON rejected" 5
    c rm in/big in/bigjson
    rc "rm two keys" 0
}

# ---- put's argument is the value for every format; a file comes with
# --input (issue 15.3: npy and msgpack read a FILE at the place where text
# and bytes stored the name) ----
check_put_value_argument() {
    printf '\222\001\002' >"$T/v.msgpack" # [1, 2]
    printf 'file contents' >"$T/v.txt"
    # a .npy of one int8, 7: its header (dict, spaces, newline) is 118 bytes
    {
        printf '\223NUMPY\001\000\166\000'
        printf '%s' "{'descr': '|i1', 'fortran_order': False, 'shape': (1,), }"
        printf '%60s\n\007' ''
    } >"$T/v.npy"
    for fmt in text bytes; do
        c put "arg/$fmt" "$T/v.txt" --format "$fmt"
        rc "put --format $fmt with a file name" 0
        if [ "$fmt" = bytes ]; then
            has "--format bytes: the file name gets a hint" "$T/err" \
                "is a file; to store its contents use --input $T/v.txt"
        elif [ -s "$T/err" ]; then
            bad "--format text gets no hint: $(cat "$T/err")"
        fi
        c get "arg/$fmt"
        out "--format $fmt: the argument is the value" "$T/v.txt"
    done
    for fmt in msgpack npy; do
        c put "arg/$fmt" "$T/v.$fmt" --format "$fmt"
        rc "put --format $fmt with a file name: the name is the value, not valid $fmt" 5
        has "--format $fmt with a file name: hint" "$T/err" \
            "is a file; to store its contents use --input $T/v.$fmt"
        c exists "arg/$fmt"
        rc "--format $fmt with a file name stored nothing" 3
        c put "arg/$fmt" --input "$T/v.$fmt" --format "$fmt"
        rc "put --format $fmt --input FILE" 0
        c get "arg/$fmt"
        same "--format $fmt --input: the file's bytes" "$T/out" "$T/v.$fmt"
        ci "$T/v.$fmt" put "arg/$fmt-stdin" - --format "$fmt"
        rc "put --format $fmt from stdin ('-')" 0
        c get "arg/$fmt-stdin"
        same "--format $fmt from stdin: the bytes" "$T/out" "$T/v.$fmt"
    done
    c put arg/json "$T/v.txt"
    rc "a file name as a JSON value" 5
    has "a file name refused as JSON: hint" "$T/err" "to store its contents use --input"
    c put arg/both 1 --input "$T/v.txt"
    rc "a value and --input" 2
}

# ---- invalid input: exit 5 ----
check_invalid() {
    c put k '{"unclosed": '
    rc "invalid JSON" 5
    has "invalid JSON names the key" "$T/err" "put k:"
    one_line "invalid JSON: one line"
    c put k 'not json'
    rc "bare word is not JSON" 5
    printf '\377\376' >"$T/in"
    ci "$T/in" put k --format text
    rc "invalid UTF-8 text" 5
    for key in 'a/../b' 'a/./b' '' '/' 'back\slash' "$(printf 'tab\there')"; do
        c put "$key" 1
        rc "bad key '$key' on put" 5
    done
    c get 'a/../b'
    rc "bad key on get" 5
    has "bad key error says why" "$T/err" ".."
    c put _cairn/mine 1
    rc "reserved key" 5
    c exists ''
    rc "bad key on exists" 5
}

# ---- exists, rm ----
check_exists_rm() {
    must put runs/1 '{"loss": 0.3}'
    must put runs/2 7
    c exists runs/1
    rc "exists present" 0
    c exists runs/nope
    rc "exists absent" 3
    c get runs/nope
    rc "get absent" 3
    has "not found names the key" "$T/err" "runs/nope"
    has "not found says so" "$T/err" "not found"
    one_line "not found: one line"
    c rm runs/2
    rc "rm" 0
    c exists runs/2
    rc "rm removed" 3
    c rm runs/2
    rc "rm absent" 3
    has "rm absent names the key" "$T/err" "runs/2"
}

# ---- ls, range, count ----
check_list() {
    for k in teams teams/eng teams/ops teams/eng/alice teams2/x B b 'é/ü' Z/1; do
        c put "$k" '1'
        [ "$RC" -eq 0 ] || bad "put $k for listing: exit $RC"
    done
    c ls teams
    rc "ls PREFIX" 0
    out "ls matches whole segments" "$(printf 'teams\nteams/eng\nteams/eng/alice\nteams/ops')"
    c ls
    rc "ls" 0
    LC_ALL=C sort "$T/out" >"$T/sorted"
    same "ls is sorted bytewise" "$T/out" "$T/sorted"
    has "ls lists UTF-8 keys" "$T/out" 'é/ü'
    if grep -q '^_cairn' "$T/out"; then bad "ls shows reserved keys"; else ok; fi
    c ls --limit 2
    out "ls --limit" "$(sed -n 1,2p "$T/sorted")"
    c ls --limit 0
    out "ls --limit 0" ""
    c ls teams --json
    rc "ls --json" 0
    json_lines "ls --json lines" "$T/out"
    has "ls --json key" "$T/out" '{"key":"teams/eng","version":1,'
    n=$(wc -l <"$T/out")
    [ "$n" -eq 4 ] && ok || bad "ls --json: $n lines, expected 4"
    c ls nothing/here
    rc "ls empty prefix" 0
    out "ls empty prefix prints nothing" ""
    c range teams teams2
    rc "range" 0
    out "range START END (end exclusive)" "$(printf 'teams\nteams/eng\nteams/eng/alice\nteams/ops')"
    c range teams2
    out "range START" "$(printf 'teams2/x\n\303\251/\303\274')"
    c range teams --limit 2
    out "range --limit" "$(printf 'teams\nteams/eng')"
    c range B b
    out "range is bytewise (B < Z < b)" "$(printf 'B\nZ/1')"
    c range teams teams2 -j
    json_lines "range --json lines" "$T/out"
    c range
    rc "range without START" 2
    c count teams
    rc "count PREFIX" 0
    out "count PREFIX" 4
    c ls
    total=$(wc -l <"$T/out")
    c count
    out "count matches ls" "$total"
    c rm --prefix teams
    rc "rm --prefix" 0
    out "rm --prefix prints the count" 4
    c ls teams2
    out "rm --prefix kept teams2" "teams2/x"
    c count teams
    out "rm --prefix removed the prefix" 0
}

# ---- raw prefixes: PREFIX ending in '*', --raw-prefix P ----
check_raw_prefix() {
    for k in item:1 item:22 item:1/x item items 'star*' 'star*/x' starry _b; do
        must put "$k" 1
    done
    c ls item:
    rc "ls item: (a segment no key has)" 0
    out "ls item: matches whole segments only" ""
    c ls 'item:*'
    rc "ls 'item:*'" 0
    out "ls 'item:*' is a raw prefix" "$(printf 'item:1\nitem:1/x\nitem:22')"
    c ls --raw-prefix item:
    out "ls --raw-prefix" "$(printf 'item:1\nitem:1/x\nitem:22')"
    c ls item: --raw-prefix item:
    rc "ls PREFIX and --raw-prefix" 2
    c ls 'star\*'
    out "ls 'P\\*' is the segment prefix 'P*'" "$(printf 'star*\nstar*/x')"
    c ls --raw-prefix 'star*'
    out "--raw-prefix takes '*' as it is" "$(printf 'star*\nstar*/x')"
    c ls 'star*'
    out "ls 'star*'" "$(printf 'star*\nstar*/x\nstarry')"
    c count 'item*'
    rc "count 'P*'" 0
    out "count 'P*'" 5
    c count --raw-prefix item:
    out "count --raw-prefix" 3
    c count item
    out "count PREFIX stays by segment" 1
    c export 'item:*'
    rc "export 'P*'" 0
    n=$(grep -c '"dump":1' "$T/out")
    [ "$n" -eq 3 ] && ok || bad "export 'item:*': $n records, expected 3"
    c export --raw-prefix item:1
    n=$(grep -c '"dump":1' "$T/out")
    [ "$n" -eq 2 ] && ok || bad "export --raw-prefix item:1: $n records, expected 2"
    c copy --from "$URL" --to "file:$T/rawcopy" --raw-prefix item:
    rc "copy --raw-prefix" 0
    "$CAIRN" --store "file:$T/rawcopy" ls >"$T/out" 2>"$T/err"
    out "copy --raw-prefix copied the raw matches" "$(printf 'item:1\nitem:1/x\nitem:22')"
    c copy --from "$URL" --to "file:$T/rawcopy2" --prefix 'star*'
    rc "copy --prefix 'P*'" 0
    "$CAIRN" --store "file:$T/rawcopy2" count >"$T/out" 2>"$T/err"
    out "copy --prefix 'P*' is raw" 3
    # the library's own records: never listed nor removed by a raw prefix
    model_files
    must model add Person "$T/person1.json"
    c ls '_*'
    out "ls '_*' hides _cairn/" "_b"
    c ls '*'
    if grep -q '^_cairn' "$T/out"; then bad "ls '*' shows reserved keys"; else ok; fi
    c rm --prefix '*'
    rc "rm --prefix '*' (everything) is refused" 5
    c rm --raw-prefix _cairn
    rc "rm --raw-prefix _cairn is refused" 5
    c rm --prefix '_*'
    rc "rm --prefix '_*'" 0
    out "rm --prefix '_*' removed only _b" 1
    c model ls
    out "the models survive a raw rm" "default/Person@1"
    c rm --prefix 'item:*'
    rc "rm --prefix 'P*'" 0
    out "rm --prefix 'P*' prints the count" 3
    c rm --raw-prefix 'star*'
    out "rm --raw-prefix" 2
    c ls
    out "rm by raw prefix kept the rest" "$(printf 'item\nitems\nstarry')"
}

# ---- ls/range --values, get KEY KEY... ----
check_values() {
    must put a/1 '{"n": 1}'
    must put --format text a/2 "two
lines"
    printf '\000\001\377' >"$T/bin"
    must put --format bytes --input "$T/bin" a/3
    c ls a --values
    rc "ls --values" 0
    json_lines "ls --values lines" "$T/out"
    n=$(wc -l <"$T/out")
    [ "$n" -eq 3 ] && ok || bad "ls --values: $n lines, expected 3"
    has "ls --values: get --meta's fields" "$T/out" '{"key":"a/1","version":1,"format":"json",'
    has "ls --values: json inline" "$T/out" '"encoding":"json","value":{"n": 1}}'
    has "ls --values: text as a string" "$T/out" '"encoding":"text","value":"two\nlines"}'
    has "ls --values: bytes in base64 as export" "$T/out" '"encoding":"base64","value":"AAH/"}'
    c ls 'a*' --values --limit 1
    n=$(wc -l <"$T/out")
    [ "$n" -eq 1 ] && ok || bad "ls --values --limit 1: $n lines"
    c range a/2 a/4 --values
    rc "range --values" 0
    json_lines "range --values lines" "$T/out"
    n=$(wc -l <"$T/out")
    [ "$n" -eq 2 ] && ok || bad "range --values: $n lines, expected 2"
    has "range --values value" "$T/out" '"key":"a/3",'
    c get a/3 a/nope a/1
    rc "get KEY KEY... with one absent" 3
    json_lines "get KEY KEY... lines" "$T/out"
    sed -n 1p "$T/out" >"$T/l1"
    has "get KEY...: first line is the first key" "$T/l1" '"key":"a/3",'
    sed -n 2p "$T/out" >"$T/l2"
    has "get KEY...: an absent key in its line" "$T/l2" '{"key":"a/nope","error":"not found"}'
    sed -n 3p "$T/out" >"$T/l3"
    has "get KEY...: third line" "$T/l3" '"value":{"n": 1}}'
    has "get KEY...: absent key on stderr" "$T/err" "a/nope: not found"
    c get a/1 a/2
    rc "get KEY KEY" 0
    c get a/1 a/2 --meta
    rc "get KEY KEY --meta" 0
    if grep -q '"value"' "$T/out"; then bad "get --meta KEY KEY printed values"; else ok; fi
    c get a/1 a/2 --out "$T/x"
    rc "get KEY KEY --out" 2
    c get a/1
    out "get KEY alone is unchanged" '{"n": 1}'
}

# ---- incr ----
check_incr() {
    must put runs/1 '{"loss": 0.3}'
    c incr counters/a
    rc "incr new key" 0
    out "incr new key" 1
    c incr counters/a 41
    out "incr BY" 42
    c incr counters/a -50
    out "incr negative BY" -8
    c get counters/a
    out "incr stored" -8
    c incr runs/1
    rc "incr on a non-integer" 5
    c put counters/max 9223372036854775807
    c incr counters/max
    rc "incr overflow" 5
    c get counters/max
    out "failed incr wrote nothing" 9223372036854775807
    c incr counters/a 99999999999999999999
    rc "incr BY out of range" 2
    # Processes racing: no increment is lost.
    for p in 1 2 3 4; do
        (
            j=0
            while [ $j -lt 10 ]; do
                "$CAIRN" --store "$URL" incr counters/race >/dev/null 2>>"$T/race.err" ||
                    echo "incr failed" >>"$T/race.err"
                j=$((j + 1))
            done
        ) &
    done
    wait
    c get counters/race
    out "40 racing increments" 40
    [ ! -s "$T/race.err" ] && ok || bad "racing incr errors: $(head -n 3 "$T/race.err")"
}

# ---- TTL (no timing is asserted: a long TTL is alive, a short one gone
# after a sleep several times longer) ----
check_ttl() {
    c put ttl/long 1 --ttl 1h
    rc "put --ttl 1h" 0
    c get ttl/long --meta
    if grep -q -E '"expires":"[^"]+","expires_ms":[0-9]+' "$T/out"; then ok; else
        bad "--ttl sets expires: $(cat "$T/out")"
    fi
    c put ttl/short 1 --ttl 300ms
    rc "put --ttl 300ms" 0
    c put ttl/compound 1 --ttl 1h30m
    rc "put --ttl 1h30m" 0
    c put ttl/never 1 --ttl never
    rc "put --ttl never" 0
    sleep 1
    c exists ttl/short
    rc "expired record is absent" 3
    c get ttl/short
    rc "get expired" 3
    c ls ttl
    out "ls hides expired" "$(printf 'ttl/compound\nttl/long\nttl/never')"
    c count ttl
    out "count hides expired" 3
    c put ttl/short 2
    rc "put over an expired record" 0
    c put ttl/gone 1 --ttl 200ms
    sleep 1
    c stats
    rc "stats" 0
    json_lines "stats is JSON" "$T/out"
    has "stats expired" "$T/out" '"expired":1'
    c purge
    rc "purge" 0
    out "purge counts expired records" 1
    c purge
    out "purge again" 0
    c rm --prefix ttl
    rc "rm --prefix ttl" 0
}

# ttl_of: expires_ms - updated_ms of the record whose get --meta is in
# $T/out ("none" when it does not expire).
ttl_of() {
    u=$(sed -n 's/.*"updated_ms":\([0-9]*\).*/\1/p' "$T/out")
    e=$(sed -n 's/.*"expires_ms":\([0-9]*\).*/\1/p' "$T/out")
    if [ -n "$u" ] && [ -n "$e" ]; then echo $((e - u)); else echo none; fi
}
# ttl_is NAME KEY MS: the record under KEY expires MS after its write.
ttl_is() {
    c get "$2" --meta
    got=$(ttl_of)
    if [ "$got" = "$3" ]; then ok; else bad "$1: expires after $got ms, expected $3"; fi
}

# ---- durations: --ttl takes bare seconds; a store default from the URL's
# ?default_ttl= or the global --default-ttl (issue 15) ----
check_ttl_durations() {
    c put d/bare 1 --ttl 300
    rc "put --ttl 300 (bare seconds)" 0
    ttl_is "--ttl 300 is 300 s" d/bare 300000
    must put d/sum 1 --ttl 1h30m
    ttl_is "--ttl 1h30m" d/sum 5400000
    for v in 5x -5 0 1h30 1.5h; do
        c put d/bad 1 --ttl "$v"
        rc "put --ttl $v" 2
        has "put --ttl $v names it" "$T/err" "'$v'"
    done
    c exists d/bad
    rc "a refused --ttl stores nothing" 3
    c --default-ttl 2h put d/global 1
    rc "--default-ttl 2h put" 0
    ttl_is "--default-ttl 2h" d/global 7200000
    c --default-ttl 2h put d/own 1 --ttl 5s
    ttl_is "--ttl wins over --default-ttl" d/own 5000
    c --default-ttl nope put d/bad 1
    rc "--default-ttl nope" 2
    has "--default-ttl nope names it" "$T/err" "'nope'"
    # the URL's default, on any backend (file:DIR?default_ttl=1s, ...)
    case $URL in *\?*) sep='&' ;; *) sep='?' ;; esac
    base=$URL
    URL="$base${sep}default_ttl=2h"
    c put d/url 1
    rc "put on $URL" 0
    ttl_is "?default_ttl=2h" d/url 7200000
    c --default-ttl 1h put d/both 1
    ttl_is "--default-ttl wins over ?default_ttl=" d/both 3600000
    URL="$base${sep}default_ttl=1s"
    c put d/short 1
    rc "put on $URL" 0
    URL="$base${sep}default_ttl=zz"
    c put d/bad 1
    rc "?default_ttl=zz" 5
    has "?default_ttl=zz names it" "$T/err" "'zz'"
    URL=$base
    ttl_is "the URL's parameter names the same store" d/url 7200000
    if [ "$SCHEME" = file ] && ls "$T" | grep -q default_ttl; then
        bad "?default_ttl= became part of a folder name: $(ls "$T")"
    fi
    sleep 1.2
    c exists d/short
    rc "?default_ttl=1s: gone after 1 s" 3
    c ls d
    out "the others stay" "$(printf 'd/bare\nd/both\nd/global\nd/own\nd/sum\nd/url')"
}

# clear_on_tty ANSWER: `cairn clear` on a terminal (a pty, through python),
# answering ANSWER; what it wrote in $T/out, its exit status in $RC.
clear_on_tty() {
    "$PY" - "$CAIRN" "$URL" "$1" >"$T/out" 2>"$T/err" <<'EOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "--store", sys.argv[2], "clear"])
out = b""
try:
    while b"[y/N]" not in out:
        d = os.read(fd, 1024)
        if not d:
            break
        out += d
    os.write(fd, sys.argv[3].encode() + b"\n")
    while True:
        d = os.read(fd, 1024)
        if not d:
            break
        out += d
except OSError:
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
EOF
    RC=$?
}

# ---- clear: every record but the models, only when confirmed (issue 15) ----
check_clear() {
    person_models
    must put a 1
    must put b/c 2
    must put b/d 3 --ttl 1h
    c clear
    rc "clear without --yes and no terminal" 2
    has "clear without --yes says to give it" "$T/err" "--yes"
    c count
    out "clear without --yes removes nothing" 3
    c clear extra --yes
    rc "clear with an argument" 2
    if [ -n "$PY" ]; then
        clear_on_tty n
        rc "clear on a terminal answered n" 1
        has "clear on a terminal asks" "$T/out" "remove all 3 records from "
        c count
        out "clear answered n removes nothing" 3
        clear_on_tty y
        rc "clear on a terminal answered y" 0
        c count
        out "clear answered y removes every record" 0
        must put a 1
        must put b/c 2
        must put b/d 3 --ttl 1h
    fi
    c clear --yes
    rc "clear --yes" 0
    out "clear --yes counts the records" 3
    c count
    out "clear --yes leaves no record" 0
    c model ls
    out "clear keeps the models" "$(printf 'default/Person@1\ndefault/Person@2\nhr/Person@1\nns/point@1')"
    c clear -y
    out "clear on an empty store" 0
    must put a 1
    c get a
    out "the store works after clear" 1
}

# ---- --help names each store scheme once, tiered: too; the --if-exists
# defaults are told apart (issue 15) ----
check_help_schemes() {
    c --help
    for scheme in file:DIR sqlite:PATH lmdb:DIR postgres:// redis:// tiered: mem: \
        default_ttl=; do
        n=$(grep -o -F -e "$scheme" "$T/out" | wc -l)
        if [ "$n" -eq 1 ]; then ok; else bad "--help names $scheme $n times"; fi
    done
    has "--help tells --default-ttl" "$T/out" "--default-ttl DURATION"
    # (the help's lines joined, as the phrases may wrap)
    for cmd in put copy import; do
        c "$cmd" --help
        tr -s ' \n' '  ' <"$T/out" >"$T/$cmd.help"
    done
    has "put --help: --if-exists fails by default" "$T/put.help" "fail (default, exit 4;"
    has "put --help: not so copy and import" "$T/put.help" "copy and import default to skip"
    has "copy --help: skips by default" "$T/copy.help" "skip (default, unlike put's fail"
    has "import --help: skips by default" "$T/import.help" "skip (default, unlike put's fail)"
}

# ---- cat: a value it cannot show names its key (issue 15) ----
check_cat_names_key() {
    # a msgpack map holding an extension (type 5), which has no JSON form
    printf '\201\241a\307\001\005x' >"$T/ext.mp"
    must put blob/ext --input "$T/ext.mp" --format msgpack
    c cat blob/ext
    rc "cat of a value with no JSON form" 5
    has "cat's error names the key" "$T/err" "cat blob/ext:"
    c cat blob/none
    rc "cat of a missing key" 3
    has "cat of a missing key names it" "$T/err" "blob/none"
}

# ---- stats ----
check_stats() {
    must put runs/1 '{"loss": 0.3}'
    must put runs/2 7
    c stats
    rc "stats" 0
    for f in '"store":' '"backend":' '"keys":' '"value_bytes":' '"expired":0'; do
        has "stats field $f" "$T/out" "$f"
    done
    c count
    keys=$(cat "$T/out")
    c stats
    has "stats keys" "$T/out" "\"keys\":$keys,"
    [ -n "$SCHEME" ] && has "stats backend" "$T/out" "\"backend\":\"$SCHEME\""
}

# ---- a record names its key: one copied under another key's name reads as
# corrupt (exit 1) naming the key, through get, ls --json and export; an
# overwrite repairs it. A record of the older, unbound header (written
# before issue 15) reads under any name until `upgrade` binds it ----
check_binding() {
    must put runs/a '{"who":"a"}'
    must put runs/b '{"who":"b"}'
    c upgrade
    rc "upgrade" 0
    out "upgrade: what this cairn writes is current" 0
    [ "$SCHEME" = file ] || return 0
    D=${URL#file:}
    cp "$D/runs/a.rec" "$D/runs/b.rec"
    c get runs/b
    rc "get of another key's record" 1
    has "another key's record is corrupt" "$T/err" "corrupt record"
    has "another key's record: the message names the key" "$T/err" \
        "record at runs/b belongs to another key"
    one_line "another key's record: one line"
    [ -s "$T/out" ] && bad "another key's record: something on stdout: $(cat "$T/out")"
    c get runs/a
    out "the original reads on" '{"who":"a"}'
    c ls runs --json
    rc "ls --json over another key's record" 1
    has "ls --json names the key" "$T/err" "runs/b"
    c export runs
    rc "export over another key's record" 1
    has "export names the key" "$T/err" "runs/b"
    c get runs/a runs/b nope
    rc "get KEY KEY... over another key's record" 1
    json_is "get KEY KEY...: the others still read, the damaged one says so" "$T/out" \
        'len(d) == 3 and d[0]["value"] == {"who":"a"} and d[1] == {"key":"runs/b","error":"corrupt record"} and d[2]["error"] == "not found"'
    has "get KEY KEY... names the damaged key" "$T/err" "runs/b"
    # a damaged record at --to stops a copy: --skip-corrupt (damaged
    # records at --from) must not call that a completed copy
    "$CAIRN" --store "file:$T/bsrc" put runs/b '{"who":"other"}' >/dev/null 2>&1
    c copy --from "file:$T/bsrc" --to "$URL" --skip-corrupt --json
    rc "copy onto another key's record" 1
    json_is "copy onto another key's record: stopped, not completed" "$T/out" \
        'd[0]["stopped"] is True and d[0]["corrupt"] == 0 and d[0]["copied"] == 0'
    has "copy onto another key's record: the error is shown" "$T/err" "runs/b"
    c copy --from "file:$T/bsrc" --to "$URL"
    rc "copy onto another key's record, no --skip-corrupt" 1
    grep -q -- "--skip-corrupt" "$T/err" &&
        bad "copy onto another key's record: --skip-corrupt (for --from) suggested"
    c put runs/b '{"who":"b"}' --if-exists overwrite
    c get runs/b
    out "overwrite repairs it" '{"who":"b"}'
    # the older header (as fuzz/corpus/record/json), made by hand
    printf '%s\n%s' '{"cairn":1,"ver":1,"fmt":"json","ctime":1700000000000,"mtime":1700000000000,"exp":0,"size":7,"zip":"none","xxh3":"c5e3762ffc8453c6","model":"","hh":"71fff414"}' \
        '{"a":1}' >"$D/old.rec"
    cp "$D/old.rec" "$D/runs/c.rec"
    c get old
    out "an old record reads" '{"a":1}'
    c get runs/c
    out "an old record reads under any name" '{"a":1}'
    c upgrade runs
    out "upgrade PREFIX: only under it" 1
    c upgrade
    out "upgrade binds the old record" 1
    c get old --meta
    has "upgrade keeps the times" "$T/out" '"created_ms":1700000000000,'
    c get old
    out "the upgraded record reads" '{"a":1}'
    c upgrade
    out "a second upgrade does nothing" 0
    cp "$D/old.rec" "$D/runs/c.rec"
    c get runs/c
    rc "an upgraded record under another name" 1
    has "an upgraded record under another name: corrupt" "$T/err" "belongs to another key"
}

# ---- store selection: --store, $CAIRN_STORE, ./cairn-data ----
check_store_select() {
    must put runs/1 '{"loss": 0.3}'
    CAIRN_STORE=$URL "$CAIRN" get runs/1 >"$T/out" 2>"$T/err"
    RC=$?
    rc "\$CAIRN_STORE" 0
    out "\$CAIRN_STORE reads the store" '{"loss": 0.3}'
    "$CAIRN" get runs/1 --store "$URL" >"$T/out" 2>"$T/err"
    RC=$?
    rc "--store after the command" 0
    CAIRN_STORE=file:$T/elsewhere "$CAIRN" --store "$URL" exists runs/1 >/dev/null 2>&1
    RC=$?
    rc "--store wins over \$CAIRN_STORE" 0
    mkdir "$T/cwd"
    (cd "$T/cwd" && "$CAIRN" put here 1 >/dev/null 2>&1)
    RC=$?
    rc "default store" 0
    [ -d "$T/cwd/cairn-data" ] && ok || bad "default store is not ./cairn-data"
    (cd "$T/cwd" && "$CAIRN" --store ./cairn-data get here >"$T/out" 2>&1)
    out "default store is the file backend at ./cairn-data" 1
}

# ---- bad URLs and unavailable backends ----
check_bad_url() {
    "$CAIRN" --store 'nosuch:x' get k >"$T/out" 2>"$T/err"
    RC=$?
    rc "unknown URL scheme" 5
    has "unknown scheme named" "$T/err" "nosuch"
    one_line "unknown scheme: one line"
    "$CAIRN" --store '' get k >"$T/out" 2>"$T/err"
    RC=$?
    rc "empty URL" 5
    # Not built in, or nothing listens on port 1: unavailable either way.
    "$CAIRN" --store 'redis://127.0.0.1:1/0' get k >"$T/out" 2>"$T/err"
    RC=$?
    rc "redis unavailable" 6
    "$CAIRN" --store 'postgres://127.0.0.1:1/x' get k >"$T/out" 2>"$T/err"
    RC=$?
    rc "postgres unavailable" 6
}

# ---- models: add, ls, show ----
check_models() {
    model_files
    must model add ns/point "$T/point.json"
    for sub in add ls show rm; do
        c model "$sub" --help
        rc "model $sub --help" 0
        has "model $sub --help" "$T/out" "cairn [--store URL] model $sub"
    done
    c model
    rc "model without a command" 2
    c model nosuch
    rc "model: unknown command" 2
    c model add Person
    rc "model add without SCHEMA_FILE" 2
    c model add ns/Person "$T/person1.json" --namespace hr
    rc "model add: namespace given twice" 2
    c model add Person "$T/nosuch.json"
    rc "model add: missing schema file (usage)" 2
    c model add Person "$T/person1.json"
    rc "model add" 0
    out "model add prints the reference" "default/Person@1"
    c model add Person "$T/person1b.json"
    rc "model add: same schema again" 0
    out "model add: same schema, same version" "default/Person@1"
    has "model add: same schema says unchanged" "$T/err" "unchanged"
    c model add Person "$T/person2.json"
    rc "model add: different schema" 4
    has "model add: names the difference" "$T/err" "/additionalProperties"
    c model add Person "$T/person2.json" --new-version
    rc "model add --new-version" 0
    out "model add --new-version" "default/Person@2"
    ci "$T/person1.json" model add Person - --namespace hr
    rc "model add from stdin, --namespace" 0
    out "model add --namespace" "hr/Person@1"
    printf '{"type": 5}' >"$T/badschema.json"
    c model add Bad "$T/badschema.json"
    rc "model add: schema that does not compile" 5
    printf '{"type":' >"$T/notjson.json"
    c model add Bad "$T/notjson.json"
    rc "model add: schema that is not JSON" 5
    c model add 'bad name' "$T/person1.json"
    rc "model add: bad name" 5
    c model ls
    rc "model ls" 0
    out "model ls" "default/Person@1
default/Person@2
hr/Person@1
ns/point@1"
    c ls
    if grep -q '_cairn' "$T/out"; then bad "ls shows the registry"; else ok; fi
    c model show Person
    rc "model show" 0
    same "model show: the newest schema" "$T/out" "$T/person2.json"
    has "model show: reference on stderr" "$T/err" "default/Person@2"
    c model show Person@1
    same "model show NAME@1" "$T/out" "$T/person1.json"
    c model show Person --namespace hr
    same "model show --namespace" "$T/out" "$T/person1.json"
    c model show Nobody
    rc "model show: unknown model" 5
    printf '{}' >"$T/any.json"
    c model add a/Thing "$T/any.json"
    c model add b/Thing "$T/any.json"
    c model show Thing
    rc "model show: ambiguous name" 5
    has "model show: lists the candidates" "$T/err" "a/Thing, b/Thing"
}

# ---- put and get with a model ----
check_model_put_get() {
    person_models
    must put runs/1 '{"loss": 0.3}'
    c put people/ann '{"name": "Ann", "age": 30}' --model Person
    rc "put --model valid" 0
    c get people/ann --meta
    has "put --model: resolved model in metadata" "$T/out" '"model":"default/Person@2"'
    c put people/bob '{"name": 5, "age": "old", "pet": "cat"}' --model Person
    rc "put --model invalid" 5
    has "put --model invalid: /name" "$T/err" "/name: "
    has "put --model invalid: /age" "$T/err" "/age: "
    has "put --model invalid: /pet" "$T/err" "/pet"
    n=$(grep -c '^/' "$T/err")
    if [ "$n" -eq 3 ]; then ok; else bad "put --model invalid: $n error lines, expected 3: $(cat "$T/err")"; fi
    c exists people/bob
    rc "put --model invalid wrote nothing" 3
    c put people/bob '{"name": "Bob", "age": 40}' --model Nobody
    rc "put --model unknown model" 5
    c put people/bob '{"name": "Bob", "age": 40}' --model Person --format text
    rc "put --model with a text value" 5
    c put people/bob '{"name": "Bob", "age": 40}' --fill-defaults
    rc "--fill-defaults without --model" 2
    c put people/bob '{"name": "Bob", "age": 40}' --model Person --fill-defaults
    rc "put --fill-defaults" 0
    c get people/bob
    if [ -n "$PY" ]; then
        if "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d == {"name":"Bob","age":40,"email":None}, d' "$T/out" 2>"$T/pyerr"; then
            ok
        else
            bad "put --fill-defaults stored $(cat "$T/out")"
        fi
    fi
    c put kid '{"name": "Tim", "age": 9}' --model Person@1
    rc "put --model NAME@1" 0
    c get kid --model Person
    rc "get --model: any version" 0
    out "get --model prints the value" '{"name": "Tim", "age": 9}'
    c get kid --model default/Person@1
    rc "get --model NS/NAME@1" 0
    c get kid --model Person@2
    rc "get --model: another version" 5
    has "get --model: wrong model named" "$T/err" "wrong model"
    c get kid --model hr/Person
    rc "get --model: another namespace" 5
    c get runs/1 --model Person
    rc "get --model: record under no model" 5
    c get kid --model Person --revalidate
    rc "get --revalidate: drifted record" 5
    has "get --revalidate: the error" "$T/err" "/age: "
    c get kid --revalidate
    rc "get --revalidate without --model: the record's own model" 5
    c get kid --model Person@1 --revalidate
    rc "get --revalidate against its own version" 0
}

# ---- validate without storing ----
check_validate() {
    person_models
    printf '{"name": "Zed", "age": 20}' >"$T/good.json"
    printf '{"age": 3.5, "email": 7}' >"$T/bad.json"
    c validate Person "$T/good.json"
    rc "validate: valid" 0
    out "validate: valid is silent" ""
    c validate Person "$T/bad.json"
    rc "validate: invalid" 5
    has "validate: /age" "$T/err" "/age: "
    has "validate: /email" "$T/err" "/email: "
    has "validate: missing name at the root" "$T/err" "/: "
    ci "$T/good.json" validate hr/Person -
    rc "validate from stdin" 0
    c validate Nobody "$T/good.json"
    rc "validate: unknown model" 5
    c validate Person
    rc "validate without FILE" 2
}

# ---- one kind of failure, one exit status, whatever the command (the
# table in cli/cli.h; issue 15.10: an unknown model was 5 for put and 3 for
# validate and model show, a missing --input file 3 as a missing key) ----
check_exit_statuses() {
    model_files
    must model add Person "$T/person1.json"
    must put k '{"name": "Ann", "age": 30}' --model Person
    must put plain 1
    printf '{"name": "Bo", "age": 1}' >"$T/doc.json"
    printf '{"name": 1}' >"$T/bad.json"
    # STATUS ARGS... : each line one failure; '#' lines name the kind
    while read -r want args; do
        case $want in '' | '#'*) continue ;; esac
        eval "set -- $args"
        c "$@"
        rc "cairn $args" "$want"
        if [ "$want" -ne 2 ] && [ ! -s "$T/err" ] && [ "$1" != exists ]; then
            bad "cairn $args: exit $want without a message"
        fi
    done <<EOF
# usage: the command line itself
2 put k 1 --nosuch
2 get
2 ls --limit ten
2 model show
2 validate Person
2 copy --from $T/x
2 put x 1 --input $T/doc.json
# a FILE argument that is not there: usage too, never "not found"
2 put x --input $T/nosuch.json
2 put x --format npy --input $T/nosuch.npy
2 validate Person $T/nosuch.json
2 model add Other $T/nosuch.json
# not found: a key
3 get nokey
3 cat nokey
3 rm nokey
3 exists nokey
3 get nokey --model Person
3 get nokey --revalidate
3 put nokey 1 --if-version 1
# not found: a store (a read of one that is not there)
3 ls --store $T/nostore
3 model ls --store $T/nostore
3 validate Person $T/doc.json --store $T/nostore
# conflict
4 put k 1
4 put k 1 --if-version 99
4 model add Person $T/person2.json
# invalid input: key, value, URL, validation
5 put 'a/../b' 1
5 get 'a/../b'
5 put x 'not json'
5 put x --format npy 'not npy'
5 ls --store nosuch:x
5 put x '{"name": 1}' --model Person
5 validate Person $T/bad.json
# an unknown model: invalid input in every command
5 put x '{}' --model Nobody
5 validate Nobody $T/doc.json
5 model show Nobody
5 model rm Nobody
5 get k --model Nobody
5 get plain --model Person
# backend unavailable (not built in, or nothing listening)
6 ls --store redis://127.0.0.1:1/0
6 ls --store postgres://127.0.0.1:1/db
EOF
    # the record's model removed since: revalidating it names the model
    must model rm Person
    c get k --revalidate
    rc "get --revalidate of a record whose model is gone" 5
}

# ---- a password on the command line leaves argv (what ps and
# /proc/PID/cmdline show) as soon as it is parsed, and the command goes on
# with it (issue 15.16; cli_redis.sh checks the password still works) ----
SECRET=Zq7argvS3cret
# argv_hidden NAME PID MARK: PID is still running (waiting), runs cairn
# (its command line holds MARK, one of cairn's arguments: not the shell
# that forks it) and its command line no longer holds $SECRET; the command
# line is left in $T/cmdline.
argv_hidden() {
    tries=0
    : >"$T/cmdline"
    while [ $tries -lt 50 ]; do
        if ! kill -0 "$2" 2>/dev/null; then
            bad "$1: cairn exited before it could be looked at: $(cat "$T/err")"
            return
        fi
        tr '\0' ' ' <"/proc/$2/cmdline" >"$T/cmdline" 2>/dev/null
        if grep -q -F -e "$3" "$T/cmdline" && ! grep -q "$SECRET" "$T/cmdline"; then
            ok
            return
        fi
        sleep 0.1
        tries=$((tries + 1))
    done
    bad "$1: ps shows the password: $(cat "$T/cmdline")"
}
# stop PID: end a cairn this check started (it waits on a FIFO or a server).
stop() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
check_argv_secrets() {
    c --help
    for var in PGPASSWORD .pgpass REDISCLI_AUTH CAIRN_REDIS_PASSWORD; do
        has "--help recommends $var" "$T/out" "$var"
    done
    [ -r /proc/self/cmdline ] || return 0
    mkfifo "$T/fifo" || {
        bad "setup: mkfifo"
        return
    }
    S=$SECRET
    # put --input FIFO waits in open() until a writer comes: after the
    # arguments are parsed, before the store is opened (no server needed).
    for url in "redis://:$S@127.0.0.1:1/0" "redis://user:$S@127.0.0.1:1/0" \
        "tiered:redis://:$S@127.0.0.1:1/0" "postgres://u:$S@127.0.0.1:1/db" \
        "postgres://u@127.0.0.1:1/db?password=$S" "redis://:a/$S@127.0.0.1:1/0"; do
        for form in -s --store= after; do
            case $form in
            -s) set -- -s "$url" put k --input "$T/fifo" ;;
            --store=) set -- "--store=$url" put k --input "$T/fifo" ;;
            after) set -- put k --input "$T/fifo" --store "$url" ;;
            esac
            "$CAIRN" "$@" >"$T/out" 2>"$T/err" &
            pid=$!
            argv_hidden "$form $url" $pid "--input $T/fifo"
            has "$form $url: the rest of the URL still shows" "$T/cmdline" "@127.0.0.1:1/"
            stop $pid
        done
    done
    # copy's --from and --to: the source a server that accepts and never
    # answers, so that copy waits in its first open.
    [ -n "$PY" ] || return 0
    "$PY" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$T/port" &
    lpid=$!
    tries=0
    while [ ! -s "$T/port" ] && [ $tries -lt 50 ]; do
        sleep 0.1
        tries=$((tries + 1))
    done
    port=$(cat "$T/port")
    "$CAIRN" copy --from "redis://:$S@127.0.0.1:$port/0" --to "postgres://u:$S@127.0.0.1:1/db" \
        >"$T/out" 2>"$T/err" &
    pid=$!
    sleep 0.2
    if grep -q 'not built' "$T/err"; then
        : # redis is not built into this cairn: copy cannot wait on it
    else
        argv_hidden "copy --from --to" $pid "copy --from"
        has "copy: the rest of --from still shows" "$T/cmdline" "@127.0.0.1:$port/0"
        has "copy: the rest of --to still shows" "$T/cmdline" "@127.0.0.1:1/db"
    fi
    stop $pid
    stop $lpid
}

# ---- model rm ----
check_model_rm() {
    person_models
    must model add a/Thing "$T/any.json"
    must model add b/Thing "$T/any.json"
    must put kid '{"name": "Tim", "age": 9}' --model Person@1
    c model rm Person@1
    rc "model rm NAME@1" 0
    out "model rm NAME@1 removed one" "1"
    c model rm Person
    rc "model rm NAME" 0
    out "model rm NAME removed the rest" "1"
    c model rm default/Person
    rc "model rm: already gone (an unknown model)" 5
    c model ls
    out "model ls after rm" "a/Thing@1
b/Thing@1
hr/Person@1
ns/point@1"
    c get kid --model default/Person
    rc "records keep their model after rm" 0
    c put people/cy '{"name": "Cy", "age": 1}' --model Person
    rc "put --model: hr/Person is now the only Person" 0
    c get people/cy --meta
    has "put --model: resolved to the only namespace" "$T/out" '"model":"hr/Person@1"'
}

# ---- import checks every checksum and validates records against their
# model (issue 15, defects 8 and 9) ----
check_import_refuses() {
    model_files
    must model add Person "$T/person1.json"
    printf '%s\n' '{"dump":1,"key":"z","format":"json","checksum":"0000000000000000","value":1}' \
        >"$T/d.jsonl"
    ci "$T/d.jsonl" import
    rc "import: an all-zero checksum is checked like any other" 5
    has "import: zero checksum: the line" "$T/err" "line 1:"
    has "import: zero checksum: why" "$T/err" "checksum 0000000000000000 does not match"
    c exists z
    rc "import: zero checksum: nothing written" 3
    printf '%s\n' '{"dump":1,"key":"z","format":"json","value":1}' >"$T/d.jsonl"
    ci "$T/d.jsonl" import
    rc "import: a line without a checksum" 0
    good='{"dump":1,"key":"p/ok","format":"json","model":"default/Person@1","value":{"name":"Ann","age":3}}'
    printf '%s\n%s\n' "$good" \
        '{"dump":1,"key":"p/bad","format":"json","model":"default/Person@1","value":{"name":5}}' \
        >"$T/d.jsonl"
    ci "$T/d.jsonl" import
    rc "import: a record its model refuses" 5
    has "import: invalid record: the line" "$T/err" "line 2:"
    has "import: invalid record: the key" "$T/err" "p/bad"
    has "import: invalid record: the errors" "$T/err" "/name: "
    has "import: invalid record: the missing field" "$T/err" "age"
    c exists p/bad
    rc "import: invalid record: not written" 3
    c get p/ok --model Person --revalidate
    rc "import: the valid line before it went in" 0
    for m in default/Nobody@1 default/Person@7; do
        printf '%s\n' '{"dump":1,"key":"p/u","format":"json","model":"'$m'","value":{"name":"U","age":1}}' \
            >"$T/d.jsonl"
        ci "$T/d.jsonl" import
        rc "import: model $m not registered" 5
        has "import: model $m not registered: why" "$T/err" "not registered"
        has "import: model $m not registered: the line" "$T/err" "line 1:"
        c exists p/u
        rc "import: model $m not registered: not written" 3
    done
}

# ---- copy and export carry the models; model export|import (issue 15,
# friction 1) ----
check_migrate_models() {
    model_files
    must model add Person "$T/person1.json"
    must model add ns/point "$T/point.json"
    must model add ns/unused "$T/any.json"
    must put people/ann '{"name": "Ann", "age": 30}' --model Person
    must put pts/1 '{"a": 1}' --model ns/point
    must put plain 1
    c export
    rc "export" 0
    cp "$T/out" "$T/dump.jsonl"
    n=$(head -n 2 "$T/dump.jsonl" | grep -c '"schema":')
    if [ "$n" -eq 2 ]; then ok; else bad "export: the 2 model lines do not come first: $(cat "$T/dump.jsonl")"; fi
    has "export: a model line" "$T/dump.jsonl" '{"dump":1,"model":"default/Person","version":1,"schema":{'
    if grep -q ns/unused "$T/dump.jsonl"; then bad "export: a model no record uses"; else ok; fi
    json_lines "export: model lines" "$T/dump.jsonl"
    D=$(other import)
    oni "$D" "$T/dump.jsonl" import
    rc "export|import into an empty store" 0
    has "import: the models counted" "$T/err" "models: 2 registered"
    on "$D" get people/ann --revalidate
    rc "export|import: get --revalidate" 0
    on "$D" put people/bob '{"name": "Bob", "age": 4}' --model Person
    rc "export|import: put --model" 0
    oni "$D" "$T/dump.jsonl" import
    rc "import again: models already there" 0
    has "import again: models counted as there" "$T/err" "0 registered, 2 already there"
    D=$(other copy)
    c copy --from "$URL" --to "$D"
    rc "copy into an empty store" 0
    on "$D" get pts/1 --revalidate
    rc "copy: get --revalidate" 0
    on "$D" put pts/2 '{"a": 2}' --model ns/point
    rc "copy: put --model" 0
    on "$D" model ls
    out "copy: the referenced models only" "default/Person@1
ns/point@1"
    c copy --from "$URL" --to "$D" --models
    rc "copy --models" 0
    on "$D" model ls
    has "copy --models: every model" "$T/out" "ns/unused@1"
    c export --models
    has "export --models: every model" "$T/out" '"model":"ns/unused","version":1'
    # model export | model import
    c model export
    rc "model export" 0
    n=$(grep -c '"schema":' "$T/out")
    if [ "$n" -eq 3 ]; then ok; else bad "model export: $n lines, want 3: $(cat "$T/out")"; fi
    c model export Person --output "$T/person.jsonl"
    rc "model export NAME --output" 0
    n=$(grep -c '"model":"default/Person"' "$T/person.jsonl")
    if [ "$n" -eq 1 ] && [ "$(wc -l <"$T/person.jsonl")" -eq 1 ]; then ok; else bad "model export Person: $(cat "$T/person.jsonl")"; fi
    c model export Nobody
    rc "model export: a model not registered" 5
    c model export --output "$T/models.jsonl"
    D=$(other models)
    on "$D" model import "$T/models.jsonl"
    rc "model import" 0
    has "model import: summary" "$T/err" "3 registered, 0 already there"
    c model ls
    cp "$T/out" "$T/src.ls"
    on "$D" model ls
    same "model export|import: the same models" "$T/src.ls" "$T/out"
    oni "$D" "$T/models.jsonl" model import -
    rc "model import again (stdin)" 0
    has "model import again: all there" "$T/err" "0 registered, 3 already there"
    on "$D" model import "$T/models.jsonl" --json
    json_is "model import --json" "$T/out" \
        'd == [{"models_registered":0,"models_there":3,"stopped":False}]'
    on "$D" model import "$T/dump.jsonl"
    rc "model import of a dump with records" 5
    has "model import: a record line named" "$T/err" "line 3: a record"
    # A conflict: version 1 of Person with another schema at the destination.
    D=$(other conflict)
    on "$D" model add Person "$T/person2.json"
    oni "$D" "$T/dump.jsonl" import
    rc "import: a model version with another schema" 4
    has "import: conflict: the line" "$T/err" "line 1:"
    has "import: conflict: why" "$T/err" "different schema"
    on "$D" count
    out "import: conflict: no record written" 0
    on "$D" model import "$T/models.jsonl"
    rc "model import: conflict" 4
    c copy --from "$URL" --to "$D"
    rc "copy: conflict" 4
    has "copy: conflict: the model" "$T/err" "default/Person@1"
    on "$D" count
    out "copy: conflict: no record written" 0
}

# ---- bench (when built): a tiny run, on a store named by a backend ----
check_bench() {
    if [ -n "$SCHEME" ]; then
        "$CAIRN" --store "$URL" bench --n 200 >"$T/out" 2>"$T/err"
        RC=$?
        if grep -q 'not built' "$T/err"; then
            rc "bench not built" 1
        else
            rc "bench --n 200" 0
            has "bench prints put_ops_s" "$T/out" "put_ops_s="
            has "bench prints get_ops_s" "$T/out" "get_ops_s="
            has "bench prints list_ms" "$T/out" "list_ms="
        fi
    fi
}

# ---- a damaged record: export and copy stop at it after what came before
# it, or leave it out with --skip-corrupt (file: a record file damaged by
# hand) ----
# lines NAME FILE N: FILE has N lines.
lines() {
    n=$(wc -l <"$2")
    if [ "$n" -eq "$3" ]; then ok; else bad "$1: $n lines, expected $3"; fi
}
check_corrupt_records() {
    [ "$SCHEME" = file ] || return 0
    for i in 1 2 3 4 5; do must put "k/$i" "{\"n\":$i}"; done
    f=$(find "${URL#file:}" -name 3.rec)
    size=$(wc -c <"$f")
    # the value's last digit: its checksum no longer matches
    printf X | dd of="$f" bs=1 seek=$((size - 2)) conv=notrunc 2>/dev/null
    c export
    rc "export at a damaged record" 1
    lines "export writes the lines before it" "$T/out" 2
    has "export names the key" "$T/err" "get k/3: corrupt record"
    has "export says the way on" "$T/err" "--skip-corrupt"
    c export --skip-corrupt
    rc "export --skip-corrupt" 1
    lines "export --skip-corrupt writes the others" "$T/out" 4
    json_lines "export --skip-corrupt" "$T/out"
    has "export --skip-corrupt names the key" "$T/err" \
        'cairn: export: skipped "k/3": corrupt record: checksum'
    has "export --skip-corrupt counts" "$T/err" "cairn: export: 4 exported, 1 corrupt (left out)"
    c export k/4 --skip-corrupt
    rc "export --skip-corrupt of good records" 0
    lines "export --skip-corrupt of good records" "$T/out" 1
    to=$(store_url file corrupt_copy)
    "$CAIRN" copy --from "$URL" --to "$to" >"$T/out" 2>"$T/err"
    RC=$?
    rc "copy at a damaged record" 1
    has "copy names the key" "$T/err" "get k/3: corrupt record"
    has "copy at a damaged record: the way on" "$T/err" "--skip-corrupt leaves damaged records out"
    has "copy counts what came before" "$T/err" "2 copied"
    "$CAIRN" --store "$to" count >"$T/out" 2>"$T/err"
    out "copy copies what came before" 2
    "$CAIRN" copy --from "$URL" --to "$to" --skip-corrupt >"$T/out" 2>"$T/err"
    RC=$?
    rc "copy --skip-corrupt" 1
    has "copy --skip-corrupt names the key" "$T/err" \
        'cairn: copy: skipped "k/3": corrupt record: checksum'
    has "copy --skip-corrupt counts" "$T/err" \
        "2 copied, 2 skipped (already there), 0 expired, 1 corrupt (left out)"
    "$CAIRN" --store "$to" count >"$T/out" 2>"$T/err"
    out "copy --skip-corrupt copies the others" 4
}

# json_is NAME FILE EXPR: FILE holds one JSON object per line and the
# Python expression EXPR holds of d, the list of them (d[0] the first).
json_is() {
    [ -n "$PY" ] || return 0
    if "$PY" -c '
import json, sys
d = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
assert d and all(isinstance(o, dict) for o in d), "not one JSON object per line"
assert eval(sys.argv[2]), "does not hold: " + sys.argv[2]
' "$2" "$3" 2>"$T/pyerr"; then
        ok
    else
        bad "$1: $(tail -n 1 "$T/pyerr"): $(head -c 300 "$2")"
    fi
}

# ---- --json: every command, one vocabulary (docs/cli.md, "JSON output") ----
check_json() {
    model_files
    c put /runs//1 '{"loss": 0.3}' --meta '{"src":"a\u0001\"b"}' --json
    rc "put --json" 0
    json_is "put --json" "$T/out" \
        'd == [{"key":"runs/1","status":"stored","format":"json","size":13,"model":None}]'
    c put runs/1 2 --if-exists skip -j
    json_is "put --json skipped" "$T/out" 'd[0]["status"] == "skipped"'
    c put 'q"k' '"x"' --json
    json_is "put --json escapes the key" "$T/out" "d[0][\"key\"] == 'q\"k'"
    c get runs/1 --json
    rc "get --json" 0
    json_is "get --json is get --meta" "$T/out" \
        'd[0]["meta"] == {"src":"a\x01\"b"} and d[0]["version"] == 1'
    cp "$T/out" "$T/getmeta"
    for cmd in "ls" "ls runs" "range runs"; do
        # shellcheck disable=SC2086 # the command and its arguments
        c $cmd --json
        rc "$cmd --json" 0
        json_is "$cmd --json: meta as get --meta, no meta_size" "$T/out" \
            '[o for o in d if o["key"] == "runs/1"][0]["meta"] == {"src":"a\x01\"b"} and all("meta_size" not in o and "meta" in o for o in d)'
    done
    c ls runs --json
    [ -z "$PY" ] || "$PY" -c 'import json, sys; a, b = (json.loads(open(f).read()) for f in sys.argv[1:]); sys.exit(a != b)' \
        "$T/out" "$T/getmeta" && ok || bad "ls --json and get --meta differ"
    c count runs --json
    rc "count --json" 0
    json_is "count --json" "$T/out" 'd == [{"prefix":"runs","count":1}]'
    c count --json
    json_is "count --json without a prefix" "$T/out" 'd == [{"prefix":None,"count":2}]'
    c incr n 5 --json
    rc "incr --json" 0
    json_is "incr --json" "$T/out" 'd == [{"key":"n","value":5}]'
    c exists runs/1 --json
    rc "exists --json" 0
    json_is "exists --json" "$T/out" 'd == [{"key":"runs/1","exists":True}]'
    c exists nope --json
    rc "exists --json of an absent key" 3
    json_is "exists --json of an absent key" "$T/out" 'd == [{"key":"nope","exists":False}]'
    c rm n nope --json
    rc "rm --json with an absent key" 3
    json_is "rm --json" "$T/out" 'd == [{"keys":["n"],"removed":1}]'
    c rm --prefix nothing --json
    json_is "rm --prefix --json" "$T/out" 'd == [{"prefix":"nothing","removed":0}]'
    c purge --json
    rc "purge --json" 0
    json_is "purge --json" "$T/out" 'd == [{"removed":0}]'
    c upgrade runs --json
    rc "upgrade --json" 0
    json_is "upgrade --json" "$T/out" 'd == [{"prefix":"runs","upgraded":0}]'
    c stats --json
    rc "stats --json" 0
    json_is "stats --json" "$T/out" 'd[0]["keys"] == 2'
    c model add ns/point "$T/point.json" --json
    rc "model add --json" 0
    json_is "model add --json" "$T/out" \
        'd == [{"model":"ns/point@1","namespace":"ns","name":"point","version":1,"status":"registered"}]'
    c model add ns/point "$T/point.json" --json
    json_is "model add --json unchanged" "$T/out" 'd[0]["status"] == "unchanged"'
    c put pt/1 '{"a":1}' --model ns/point --json
    json_is "put --model --json: the record's reference" "$T/out" \
        'd[0]["model"] == "ns/point@1" and d[0]["status"] == "stored"'
    must rm pt/1
    c model ls --json
    rc "model ls --json" 0
    json_is "model ls --json" "$T/out" \
        'd == [{"model":"ns/point@1","namespace":"ns","name":"point","version":1}]'
    c model show ns/point --json
    rc "model show --json" 0
    json_is "model show --json" "$T/out" \
        'd[0]["model"] == "ns/point@1" and d[0]["schema"]["properties"]["a"] == {"type":"integer"}'
    printf '{"a": "x"}' >"$T/bad.json"
    c validate ns/point "$T/bad.json" --json
    rc "validate --json invalid" 5
    json_is "validate --json invalid" "$T/out" \
        'd[0]["model"] == "ns/point@1" and d[0]["valid"] is False and d[0]["errors"][0]["path"] == "/a" and d[0]["errors"][0]["message"]'
    printf '{"a": 1}' >"$T/good.json"
    c validate ns/point "$T/good.json" --json
    rc "validate --json valid" 0
    json_is "validate --json valid" "$T/out" 'd[0]["valid"] is True and d[0]["errors"] == []'
    to=$(store_url file json_copy)
    "$CAIRN" copy --from "$URL" --to "$to" --json >"$T/out" 2>"$T/err"
    RC=$?
    rc "copy --json" 0
    json_is "copy --json summary on stdout" "$T/out" \
        'd == [{"copied":2,"skipped":0,"expired":0,"corrupt":0,"stopped":False}]'
    c export --json
    rc "export --json" 0
    cp "$T/out" "$T/dump"
    tail -n 1 "$T/err" >"$T/last"
    json_is "export --json summary ends stderr" "$T/last" \
        'd == [{"exported":2,"corrupt":0,"stopped":False}]'
    "$CAIRN" --store "$(store_url file json_import)" import --json <"$T/dump" >"$T/out" 2>"$T/err"
    RC=$?
    rc "import --json" 0
    json_is "import --json summary on stdout" "$T/out" \
        'd == [{"imported":2,"skipped":0,"expired":0,"models_registered":0,"models_there":0,"stopped":False}]'
    c model rm ns/point --json
    rc "model rm --json" 0
    json_is "model rm --json" "$T/out" 'd == [{"model":"ns/point","removed":1}]'
    c count --json
    json_is "count --json" "$T/out" 'len(d) == 1 and d[0]["prefix"] is None'
    want=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' "$T/out")
    c clear --yes --json
    rc "clear --json" 0
    json_is "clear --json" "$T/out" "d == [{\"removed\":$want}]"
}

# ---- output errors ----
check_output() {
    must put k 1
    if [ -w /dev/full ]; then
        "$CAIRN" --store "$URL" ls >/dev/full 2>"$T/err"
        RC=$?
        rc "write error on stdout" 1
    fi
}

[ -n "$SCHEME" ] || empty_or_stop
# shellcheck disable=SC2046 # one word per check name
[ $# -gt 0 ] || set -- $(checks)
for CHECK in "$@"; do
    [ "$CHECK" = create ] || fresh "$CHECK" # create makes its own store
    "check_$CHECK"
done
CHECK=

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
