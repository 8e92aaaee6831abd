#!/usr/bin/env bash
# servers.sh — start and stop the database servers the tests use, each on a
# free loopback port in a throw-away directory. Sourced by scripts/test.sh.
#
# Each server has a start_<name> / stop_<name> pair below and a line in
# cairn_servers_start / cairn_servers_stop; a started server exports the URL
# the conformance suite reads, e.g.
#   CAIRN_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
#   CAIRN_TEST_POSTGRES_URL=postgres://USER@127.0.0.1:PORT/cairn_test
# A server that cannot start fails the stage (and so `make test`): the
# suites then fail their cases for that backend too, never skip them.
# The test runner calls cairn_servers_stop on every exit path.

CAIRN_SERVERS_DIR=""

# cairn_free_port — print a TCP port on 127.0.0.1 that nothing listens on.
cairn_free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# cairn_wait_port PORT [SECONDS] — wait until something accepts on PORT.
cairn_wait_port() {
    local port=$1 tries=$((${2:-10} * 10))
    while [ "$tries" -gt 0 ]; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
        tries=$((tries - 1))
    done
    echo "servers: nothing listens on 127.0.0.1:$port" >&2
    return 1
}

# The PostgreSQL server binaries of the installed major version.
cairn_pg_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    echo "servers: no PostgreSQL server binaries (initdb, pg_ctl): install postgresql" >&2
    return 1
}

# as_pg_user CMD... — run a server command as the owner of the cluster:
# initdb and postgres refuse to run as root.
as_pg_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# start_postgres — a throw-away cluster in $CAIRN_SERVERS_DIR/pg on a free
# loopback port (its socket in the same directory), with a role "cairn"
# that logs in by password and owns database cairn_test. Exports
# CAIRN_TEST_POSTGRES_URL, and CAIRN_TEST_PG_CTL / CAIRN_TEST_PG_DATA for
# the restart test.
start_postgres() {
    local bin dir port pw
    bin=$(cairn_pg_bindir) || return 1
    dir=$CAIRN_SERVERS_DIR/pg
    mkdir -p "$dir/sock" || return 1
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "servers: running as root but there is no 'postgres' user" >&2
            return 1
        fi
        chmod 755 "$CAIRN_SERVERS_DIR" && chown -R postgres "$dir" || return 1
    fi
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    if ! as_pg_user "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        echo "servers: initdb failed" >&2
        return 1
    fi
    # Password authentication on TCP, so that the tests go through it.
    printf '%s\n' "local all postgres trust" "local all all scram-sha-256" \
        "host all all 127.0.0.1/32 scram-sha-256" >"$dir/data/pg_hba.conf"
    port=$(cairn_free_port) || return 1
    if ! as_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" \
        start >/dev/null; then
        tail -n 30 "$dir/server.log" >&2
        echo "servers: PostgreSQL did not start on port $port" >&2
        return 1
    fi
    CAIRN_PG_BIN=$bin
    if ! printf '%s\n' "CREATE ROLE cairn LOGIN PASSWORD '$pw';" \
        "CREATE DATABASE cairn_test OWNER cairn;" |
        as_pg_user "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" \
            -U postgres -d postgres >/dev/null; then
        echo "servers: cannot create the test role and database" >&2
        return 1
    fi
    export CAIRN_TEST_PG_CTL="$bin/pg_ctl"
    export CAIRN_TEST_PG_DATA="$dir/data"
    export CAIRN_TEST_POSTGRES_URL="postgres://cairn:$pw@127.0.0.1:$port/cairn_test"
    echo "servers: PostgreSQL $("$bin/postgres" --version | awk '{print $3}')" \
        "on 127.0.0.1:$port (cluster in $dir/data)"
}

stop_postgres() {
    if [ -n "${CAIRN_PG_BIN:-}" ] && [ -d "$CAIRN_SERVERS_DIR/pg/data" ]; then
        as_pg_user "$CAIRN_PG_BIN/pg_ctl" -D "$CAIRN_SERVERS_DIR/pg/data" -m immediate \
            -w stop >/dev/null 2>&1
    fi
    CAIRN_PG_BIN=""
    unset CAIRN_TEST_POSTGRES_URL CAIRN_TEST_PG_CTL CAIRN_TEST_PG_DATA
}

# cairn_redis_server DIR PORT [EXTRA ARGS...] — start a redis-server on
# 127.0.0.1:PORT with its files in DIR (no system service, no saved config),
# daemonized; wait until it answers. Its pid is in DIR/redis.pid. Used by
# start_redis and by the Redis fault test, which restarts its own server.
cairn_redis_server() {
    local dir=$1 port=$2
    shift 2
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "servers: redis-server not found (scripts/deps.sh test installs it)" >&2
        return 1
    fi
    mkdir -p "$dir" || return 1
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
        --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' \
        --protected-mode yes "$@" || { cat "$dir/redis.log" >&2 2>/dev/null; return 1; }
    local tries=100
    while [ "$tries" -gt 0 ]; do
        if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            return 0
        fi
        sleep 0.1
        tries=$((tries - 1))
    done
    echo "servers: redis-server on port $port does not answer; its log:" >&2
    tail -n 20 "$dir/redis.log" >&2 2>/dev/null
    return 1
}

# cairn_redis_stop DIR — stop the server whose pid file is in DIR.
cairn_redis_stop() {
    local pidfile=$1/redis.pid pid tries=50
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null
    while [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        tries=$((tries - 1))
    done
    kill -9 "$pid" 2>/dev/null
    rm -f "$pidfile"
}

# start_redis — the conformance suite's server: appendonly with fsync every
# second (as a production server would run), on a free port.
start_redis() {
    local port
    port=$(cairn_free_port) || return 1
    cairn_redis_server "$CAIRN_SERVERS_DIR/redis" "$port" --appendonly yes \
        --appendfsync everysec || return 1
    export CAIRN_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
    echo "servers: redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on $CAIRN_TEST_REDIS_URL"
}

stop_redis() {
    if [ -n "$CAIRN_SERVERS_DIR" ] && [ -d "$CAIRN_SERVERS_DIR/redis" ]; then
        cairn_redis_stop "$CAIRN_SERVERS_DIR/redis"
    fi
    unset CAIRN_TEST_REDIS_URL
}

# cairn_servers_start — start every server the tests need; export their URLs.
cairn_servers_start() {
    CAIRN_SERVERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-servers.XXXXXX")
    start_redis || return 1
    start_postgres || return 1
}

# cairn_servers_stop — stop what cairn_servers_start started. Safe to call
# twice, or when nothing was started.
cairn_servers_stop() {
    stop_postgres
    stop_redis
    if [ -n "$CAIRN_SERVERS_DIR" ]; then
        rm -rf "$CAIRN_SERVERS_DIR"
        CAIRN_SERVERS_DIR=""
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "usage: source scripts/servers.sh, then cairn_servers_start / cairn_servers_stop" >&2
    exit 2
fi
