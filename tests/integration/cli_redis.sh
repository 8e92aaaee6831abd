#!/bin/sh
# cli_redis.sh — the cairn command on a redis:// store: the whole of
# cli_test.sh on a fresh prefix, then checks that the password in the URL
# shows nowhere (stats, errors, bench refusal), using an ACL user with a
# password on the test server that scripts/servers.sh started.
#
# usage: cli_redis.sh CAIRN_BINARY CLI_TEST_SH
# Needs CAIRN_TEST_REDIS_URL (redis://127.0.0.1:PORT/0); fails without it.
set -u
CAIRN=$1
CLI_TEST=$2
if [ -z "${CAIRN_TEST_REDIS_URL:-}" ]; then
    echo "FAIL: CAIRN_TEST_REDIS_URL is not set: start a server with scripts/servers.sh" >&2
    exit 1
fi
HOSTPART=${CAIRN_TEST_REDIS_URL#redis://}
HOST=${HOSTPART%%:*}
PORT=${HOSTPART#*:}
PORT=${PORT%%/*}
TAG="cli$$x$(date +%s)"
PW="Zq7-cli-secret-$$"
USER="u$TAG"
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli-redis.XXXXXX") || exit 1
cleanup() {
    redis-cli -h "$HOST" -p "$PORT" ACL DELUSER "$USER" >/dev/null 2>&1
    redis-cli -h "$HOST" -p "$PORT" --scan --pattern "$TAG:*" 2>/dev/null |
        while read -r k; do redis-cli -h "$HOST" -p "$PORT" UNLINK "$k" >/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# PASS, FAIL, ok, bad
. "$(dirname "$0")/lib.sh"

if [ "$(redis-cli -h "$HOST" -p "$PORT" ACL SETUSER "$USER" on ">$PW" '~*' '&*' +@all)" != OK ]; then
    echo "FAIL: cannot create the ACL user" >&2
    exit 1
fi
URL="redis://$USER:$PW@$HOST:$PORT/0?prefix=$TAG:"

# 1. the whole CLI suite on the password-protected store, made empty first
# (cli_test.sh wants an existing empty store: a put creates it)
printf '1' | "$CAIRN" --store "$URL" put init/x >/dev/null 2>"$T/err" &&
    "$CAIRN" --store "$URL" rm init/x >/dev/null 2>>"$T/err" ||
    bad "cannot create the store: $(cat "$T/err")"
sh "$CLI_TEST" "$CAIRN" "$URL" >"$T/suite" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok; else bad "cli_test.sh on redis: $(grep FAIL "$T/suite" | head -n 10)"; fi
tail -n 1 "$T/suite"

# 2. the password never shows: stats, an error, a wrong password, bench
"$CAIRN" --store "$URL" stats >"$T/out" 2>"$T/err"
if grep -q '"backend":"redis"' "$T/out"; then ok; else bad "stats: $(cat "$T/out" "$T/err")"; fi
if grep -q "$PW" "$T/out" "$T/err"; then bad "stats shows the password: $(cat "$T/out")"; else ok; fi
if grep -q ':\*\*\*@' "$T/out"; then ok; else bad "stats does not show the redacted URL: $(cat "$T/out")"; fi
# the same store behind tiered: (issue 15.1: the wrapped URL was shown whole)
"$CAIRN" --store "tiered:$URL" stats >"$T/out" 2>"$T/err"
if grep -q '"backend":"tiered"' "$T/out"; then ok; else bad "tiered stats: $(cat "$T/out" "$T/err")"; fi
if grep -q "$PW" "$T/out" "$T/err"; then bad "tiered stats shows the password: $(cat "$T/out")"; else ok; fi
if grep -q 'tiered:redis://[^"]*:\*\*\*@' "$T/out"; then ok; else
    bad "tiered stats does not show the redacted URL: $(cat "$T/out")"
fi
"$CAIRN" --store "tiered:redis://:$PW@127.0.0.1:1/0" get x >"$T/out" 2>"$T/err"
if [ $? -ne 0 ] && [ -s "$T/err" ] && ! grep -q "$PW" "$T/err"; then ok; else
    bad "tiered, unreachable: $(cat "$T/err")"
fi
printf '1' | "$CAIRN" --store "$URL" put secret/k >/dev/null 2>&1
printf '1' | "$CAIRN" --store "$URL" put secret/k >"$T/out" 2>"$T/err"
if [ -s "$T/err" ] && ! grep -q "$PW" "$T/err"; then ok; else bad "put error: $(cat "$T/err")"; fi
WRONG="redis://$USER:Zq7-wrong-$$@$HOST:$PORT/0?prefix=$TAG:"
"$CAIRN" --store "$WRONG" get secret/k >"$T/out" 2>"$T/err"
if [ $? -ne 0 ] && [ -s "$T/err" ] && ! grep -q "Zq7-wrong-$$" "$T/err"; then ok; else
    bad "wrong password: $(cat "$T/err")"
fi
"$CAIRN" --store "redis://:$PW@127.0.0.1:1/0" get x >"$T/out" 2>"$T/err"
if [ $? -ne 0 ] && ! grep -q "$PW" "$T/err"; then ok; else bad "unreachable: $(cat "$T/err")"; fi
REDISCLI_AUTH=$PW "$CAIRN" --store "redis://$USER:@$HOST:$PORT/0?prefix=$TAG:" get secret/k >"$T/out" 2>"$T/err"
if [ "$(cat "$T/out")" = 1 ]; then ok; else bad "password from REDISCLI_AUTH: $(cat "$T/err")"; fi

# 3. the password leaves the command line (ps) while the command runs, and
# the command still uses it (issue 15.16): put waits on a FIFO, then stores
mkfifo "$T/fifo" || bad "mkfifo"
"$CAIRN" --store "$URL" put argv/k --input "$T/fifo" >"$T/out" 2>"$T/err" &
pid=$!
tries=0
seen=
while [ $tries -lt 50 ] && kill -0 $pid 2>/dev/null; do
    tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline" 2>/dev/null
    if grep -q -F -e "--input $T/fifo" "$T/cmdline" && ! grep -q "$PW" "$T/cmdline"; then
        seen=1
        break
    fi
    sleep 0.1
    tries=$((tries + 1))
done
if [ -n "$seen" ]; then ok; else bad "ps shows the password: $(cat "$T/cmdline" "$T/err")"; fi
if grep -q -F "$USER:" "$T/cmdline" && grep -q -F "@$HOST:$PORT/0" "$T/cmdline"; then ok; else
    bad "the rest of the URL should still show: $(cat "$T/cmdline")"
fi
timeout 10 sh -c 'printf 7 >"$1"' sh "$T/fifo" || bad "cannot write to the waiting put"
wait $pid
rc=$?
if [ $rc -eq 0 ]; then ok; else bad "put with a scrubbed argv: exit $rc $(cat "$T/err")"; fi
"$CAIRN" --store "$URL" get argv/k >"$T/out" 2>"$T/err"
if [ "$(cat "$T/out")" = 7 ]; then ok; else bad "the value put after the scrub: $(cat "$T/out" "$T/err")"; fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
