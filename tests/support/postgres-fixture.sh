#!/bin/sh
# The PostgreSQL 15 server of the test suite (CTest fixture `postgres`).
#
#   postgres-fixture.sh start STATE_DIR   initdb + start; writes the server's URL to STATE_DIR/url
#   postgres-fixture.sh stop STATE_DIR    fast shutdown; removes the server and STATE_DIR
#
# The cluster is made for tests: superuser `gatehouse` with trust authentication, listening on
# 127.0.0.1 only, on a free port, fsync and synchronous_commit off (a crash of the test machine
# may lose it; benchmarks start their own server with fsync on), max_connections=300 (several
# engines with their pools, and tests that open many connections at once).
#
# PostgreSQL refuses to run as root. When the suite runs as root (CI containers) the server runs
# as `nobody`. The server's directory (data, Unix socket, log) is made with mktemp under /tmp
# rather than inside STATE_DIR: the build tree's parents need not be reachable by `nobody`, and
# a short path keeps the socket under the 107-byte limit of sun_path. STATE_DIR/server names it.
#
# Environment: GATEHOUSE_PG_BINDIR (default /usr/lib/postgresql/15/bin), GATEHOUSE_PG_TIMEOUT
# (seconds to wait for the server, default 60).
set -eu

bindir=${GATEHOUSE_PG_BINDIR:-/usr/lib/postgresql/15/bin}
timeout=${GATEHOUSE_PG_TIMEOUT:-60}

fail() {
    echo "postgres-fixture: $*" >&2
    exit 1
}

[ $# -eq 2 ] || fail "usage: $0 start|stop STATE_DIR"
action=$1
state=$2

# Runs a PostgreSQL program as the server's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid="$owner_uid" --regid="$owner_gid" --clear-groups -- "$@"
    else
        "$@"
    fi
}

init_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        command -v setpriv >/dev/null || fail "running as root needs setpriv (util-linux) to start PostgreSQL as nobody"
        owner_uid=$(id -u nobody) || fail "running as root needs the user nobody to own the server"
        owner_gid=$(id -g nobody)
    fi
}

stop_server() {
    [ -f "$state/server" ] || return 0
    server=$(cat "$state/server")
    if [ -n "$server" ] && [ -f "$server/data/postmaster.pid" ]; then
        (cd "$server" && as_owner "$bindir/pg_ctl" stop -D "$server/data" -m fast -w -t "$timeout" >/dev/null) ||
            echo "postgres-fixture: pg_ctl stop failed for $server/data" >&2
    fi
    case "$server" in
        /tmp/gatehouse-pg.*) rm -rf "$server" ;;
    esac
    rm -f "$state/server"
}

start_server() {
    [ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ] ||
        fail "no PostgreSQL 15 in $bindir (Debian package postgresql-15; packaging/quickstart.sh installs it)"
    mkdir -p "$state"
    state=$(cd "$state" && pwd)
    stop_server   # a server left behind by an interrupted run
    rm -f "$state/url"

    server=$(mktemp -d /tmp/gatehouse-pg.XXXXXX) || fail "cannot create a directory under /tmp"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$owner_uid:$owner_gid" "$server"
    fi
    echo "$server" >"$state/server"
    log="$server/postgres.log"

    if ! (cd "$server" && as_owner "$bindir/initdb" -D "$server/data" -U gatehouse --auth=trust \
            --encoding=UTF8 --locale=C --no-sync >"$server/initdb.log" 2>&1); then
        cat "$server/initdb.log" >&2
        fail "initdb failed in $server/data"
    fi
    cat >>"$server/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$server'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
logging_collector = off
EOF

    # A port that looks free may be taken before the server binds it; try a few.
    attempt=0
    while [ $attempt -lt 8 ]; do
        attempt=$((attempt + 1))
        port=$(( ($$ * 7919 + attempt * 104729 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 30000 + 20000 ))
        if (cd "$server" && as_owner "$bindir/pg_ctl" start -D "$server/data" -l "$log" -w -t "$timeout" \
                -o "-p $port" >/dev/null 2>&1); then
            url="postgresql://gatehouse@127.0.0.1:$port/postgres"
            if [ -x "$bindir/pg_isready" ] && ! "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t "$timeout"; then
                tail -n 30 "$log" >&2 || true
                fail "the server started but does not accept connections on 127.0.0.1:$port"
            fi
            echo "$url" >"$state/url.tmp"
            mv "$state/url.tmp" "$state/url"
            echo "postgres-fixture: PostgreSQL at $url (data in $server/data)"
            return 0
        fi
        if grep -q -e "Address already in use" -e "could not create any TCP/IP sockets" "$log" 2>/dev/null; then
            : >"$log"
            continue
        fi
        break
    done
    tail -n 30 "$log" >&2 || true
    fail "the server did not start within ${timeout}s (log above; data in $server/data)"
}

case "$action" in
    start)
        init_owner
        start_server
        ;;
    stop)
        init_owner
        if [ -d "$state" ]; then
            state=$(cd "$state" && pwd)
            stop_server
            rm -rf "$state"
        fi
        ;;
    *)
        fail "unknown action '$action' (start or stop)"
        ;;
esac
