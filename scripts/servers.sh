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
    # start_postgres || return 1   (issue: PostgreSQL backend)
}

# cairn_servers_stop — stop what cairn_servers_start started. Safe to call
# twice, or when nothing was started.
cairn_servers_stop() {
    # stop_postgres
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
