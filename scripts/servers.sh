#!/usr/bin/env bash
# servers.sh — start and stop the database servers the tests use, each on a
# free loopback port in a throw-away directory. Sourced by scripts/test.sh.
#
# Nothing is started yet: the Redis and PostgreSQL backends come in later
# issues. Each adds a start_<name> / stop_<name> pair below and a line in
# cairn_servers_start / cairn_servers_stop; a started server exports the URL
# the conformance suite reads, e.g.
#   CAIRN_TEST_REDIS_URL=redis://127.0.0.1:PORT/0
#   CAIRN_TEST_POSTGRES_URL=postgres://USER@127.0.0.1:PORT/cairn_test
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

# cairn_servers_start — start every server the tests need; export their URLs.
cairn_servers_start() {
    CAIRN_SERVERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-servers.XXXXXX")
    # start_redis || return 1      (issue: Redis backend)
    # start_postgres || return 1   (issue: PostgreSQL backend)
    echo "servers: none needed yet"
}

# cairn_servers_stop — stop what cairn_servers_start started. Safe to call
# twice, or when nothing was started.
cairn_servers_stop() {
    # stop_postgres; stop_redis
    if [ -n "$CAIRN_SERVERS_DIR" ]; then
        rm -rf "$CAIRN_SERVERS_DIR"
        CAIRN_SERVERS_DIR=""
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "usage: source scripts/servers.sh, then cairn_servers_start / cairn_servers_stop" >&2
    exit 2
fi
