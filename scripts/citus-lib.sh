# A local Citus cluster for scripts/citus: a coordinator and two workers, each
# its own PostgreSQL on its own port, data under .local/citus/. Citus is built
# from ../shared/vendor/citus/ (no registry carries it) when it is missing;
# the build is cached in ~/.cache/slotwise-citus. Source after lib.sh.
# shellcheck shell=bash

CITUS_VERSION=13.2.2
CITUS_PG=15
CITUS_BIN="/usr/lib/postgresql/$CITUS_PG/bin"
CITUS_DIR="$LOCAL/citus"
CITUS_PORTS=(9700 9701 9702)   # coordinator, worker 1, worker 2
CITUS_NODES=(coordinator worker1 worker2)
CITUS_CACHE="${CITUS_CACHE:-$HOME/.cache/slotwise-citus}"

citus_vendor() {
  local dir
  for dir in "${SLOTWISE_SHARED:-}" "$ROOT/../shared" /work/shared; do
    [ -n "$dir" ] && [ -f "$dir/vendor/citus/citus-$CITUS_VERSION.tar.gz" ] && { echo "$dir/vendor/citus"; return; }
  done
  die "Citus $CITUS_VERSION source not found: set SLOTWISE_SHARED to the folder holding vendor/citus/"
}

# Builds and installs Citus into PostgreSQL $CITUS_PG unless it is there.
ensure_citus() {
  if [ -f "$("$CITUS_BIN/pg_config" --pkglibdir 2>/dev/null)/citus.so" ]; then return; fi
  # The server headers upgrade the server to the same minor version: the
  # extension must be built against the binaries that will load it.
  apt_install "postgresql-$CITUS_PG" "postgresql-server-dev-$CITUS_PG" "postgresql-$CITUS_PG-postgis-3" \
    libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libselinux1-dev libxslt1-dev \
    libpam0g-dev libssl-dev libicu-dev make gcc
  local vendor src
  vendor="$(citus_vendor)"
  src="$CITUS_CACHE/citus-$CITUS_VERSION"
  if [ ! -f "$src/.built" ]; then
    log "building Citus $CITUS_VERSION (about 4 minutes on 2 cores)"
    rm -rf "$src"; mkdir -p "$src"
    tar xzf "$vendor/citus-$CITUS_VERSION.tar.gz" -C "$src" --strip-components=1 2>/dev/null \
      || tar xzf "$vendor/citus-$CITUS_VERSION.tar.gz" -C "$src"
    # Debian's 15.20 exports have_createdb_privilege(), which Citus defines too.
    if "$CITUS_BIN/pg_config" --version | grep -q "15\.\(2[0-9]\)"; then
      (cd "$src" && patch -p1 -s <"$vendor/pg15.20-have_createdb_privilege.patch")
    fi
    (cd "$src" && PG_CONFIG="$CITUS_BIN/pg_config" ./configure --quiet >/dev/null \
      && make -s -j2 >/dev/null 2>"$src/build.log" && touch .built) \
      || die "Citus did not build: see $src/build.log"
  fi
  (cd "$src" && make -s install >/dev/null)
}

citus_url() { echo "postgres://postgres@127.0.0.1:${CITUS_PORTS[$1]}/${2:-postgres}"; }

# Starts the three nodes (initdb on first use).
citus_start() {
  mkdir -p "$CITUS_DIR"; chown postgres: "$CITUS_DIR"
  local i dir
  for i in 0 1 2; do
    dir="$CITUS_DIR/${CITUS_NODES[$i]}"
    if [ ! -f "$dir/PG_VERSION" ]; then
      runuser -u postgres -- "$CITUS_BIN/initdb" -D "$dir" -A trust -U postgres --no-sync >/dev/null
      cat >>"$dir/postgresql.conf" <<CONF
port = ${CITUS_PORTS[$i]}
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
max_connections = 1000
max_prepared_transactions = 300
# Citus runs a maintenance worker per database (tests make one database each).
max_worker_processes = 128
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "${CITUS_PORTS[$i]}"; then
      runuser -u postgres -- "$CITUS_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w start >/dev/null
    fi
  done
}

citus_stop() {
  local i dir
  for i in 0 1 2; do
    dir="$CITUS_DIR/${CITUS_NODES[$i]}"
    [ -f "$dir/postmaster.pid" ] && runuser -u postgres -- "$CITUS_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  done
}

# A database with the extensions on every node and the workers registered
# with the coordinator: citus_database NAME (dropped first if it exists).
citus_database() {
  local name="$1" i
  for i in 0 1 2; do
    psql "$(citus_url "$i")" -qtAc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
    psql "$(citus_url "$i")" -qtAc "CREATE DATABASE $name" >/dev/null
    psql "$(citus_url "$i" "$name")" -qtA -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE EXTENSION citus;
CREATE EXTENSION postgis;
CREATE EXTENSION btree_gist;
SQL
  done
  psql "$(citus_url 0 "$name")" -qtA -v ON_ERROR_STOP=1 >/dev/null <<SQL
SELECT citus_set_coordinator_host('127.0.0.1', ${CITUS_PORTS[0]});
SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[1]});
SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[2]});
SQL
}
