# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/slotwise-target}"
LOCAL="$ROOT/.local"
# Everything these scripts start is a development setup on the Stripe emulator,
# whose secrets are public: the service refuses them unless told so.
export SLOTWISE_ENV="${SLOTWISE_ENV:-development}"
mkdir -p "$LOCAL/logs"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null || die "need these Debian packages, and apt-get is missing: $*"
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The local server that DATABASE_URL defaults to.
PG_HOST=127.0.0.1
PG_PORT=5432
PG_SERVER="postgres://postgres@$PG_HOST:$PG_PORT"

pg_query() { psql "$PG_SERVER/${2:-postgres}" -v ON_ERROR_STOP=1 -tAc "$1"; }

# Makes sure a PostgreSQL server with PostGIS and btree_gist answers at $PG_SERVER:
# uses the one running there, else installs (Debian) and starts one.
ensure_local_postgres() {
  command -v psql >/dev/null && command -v pg_isready >/dev/null || apt_install postgresql-client
  if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      apt_install postgresql
    fi
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    # A development server: local TCP connections as `postgres` need no password.
    if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
      sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
    fi
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || pg_ctlcluster "$version" main start
    for _ in $(seq 1 60); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 0.5; done
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || die "PostgreSQL did not start"
  fi
  if [ "$(pg_query "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" != 1 ]; then
    local major
    major="$(pg_query 'SHOW server_version_num' | cut -c1-2)"
    apt_install "postgresql-$major-postgis-3"
  fi
}

ensure_database() {
  local name="$1"
  if [ "$(pg_query "SELECT count(*) FROM pg_database WHERE datname = '$name'")" != 1 ]; then
    log "creating database $name"
    pg_query "CREATE DATABASE $name" >/dev/null
  fi
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo is missing: install Rust (https://rustup.rs)"
}

# Polls until `curl $1` answers 200, for at most $2 seconds.
wait_for_http() {
  local url="$1" seconds="${2:-60}"
  for _ in $(seq 1 $((seconds * 10))); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$url did not answer within ${seconds}s"
}

# The Stripe emulator (localstripe from PyPI, pinned) in a venv under the project.
LOCALSTRIPE_VERSION=1.15.10
STRIPE_WEBHOOK_SECRET_DEFAULT=whsec_slotwise_local

# The project's venv at .venv, created if missing (no packages installed).
ensure_venv() {
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    command -v python3 >/dev/null || apt_install python3
    python3 -m venv "$ROOT/.venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$ROOT/.venv"; }
  fi
}

ensure_python_venv() {
  ensure_venv
  if ! "$ROOT/.venv/bin/python" -c "import localstripe, sys; sys.exit(localstripe.__version__ != '$LOCALSTRIPE_VERSION')" 2>/dev/null; then
    log "installing localstripe $LOCALSTRIPE_VERSION into .venv"
    "$ROOT/.venv/bin/pip" install -q "localstripe==$LOCALSTRIPE_VERSION"
  fi
}

# PyYAML (pinned) in .venv, for scripts/check_compose.py.
PYYAML_VERSION=6.0.2
ensure_pyyaml() { ensure_pip_package yaml PyYAML "$PYYAML_VERSION"; }

# ensure_pip_package MODULE PACKAGE VERSION: PACKAGE==VERSION in .venv unless MODULE has it.
ensure_pip_package() {
  local module="$1" package="$2" version="$3"
  ensure_venv
  if ! "$ROOT/.venv/bin/python" -c "import $module, sys; sys.exit($module.__version__ != '$version')" 2>/dev/null; then
    log "installing $package $version into .venv"
    "$ROOT/.venv/bin/pip" install -q --disable-pip-version-check "$package==$version"
  fi
}

# Starts the emulator on 127.0.0.1:$1 (restarting one left there), logs to .local/logs.
start_stripe_emulator() {
  local port="$1"
  ensure_python_venv
  stop_stripe_emulator "$port"
  "$ROOT/.venv/bin/python" "$ROOT/scripts/stripe_emulator.py" --port "$port" \
    >"$LOCAL/logs/stripe-$port.log" 2>&1 &
  echo $! >"$LOCAL/stripe-$port.pid"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null -u sk_test_x: "http://127.0.0.1:$port/v1/payment_intents?limit=1" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the Stripe emulator did not start (see .local/logs/stripe-$port.log)"
}

stop_stripe_emulator() {
  local pidfile="$LOCAL/stripe-$1.pid"
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

# The local SMTP sink (aiosmtpd from PyPI, pinned) in the same venv.
AIOSMTPD_VERSION=1.4.6
ensure_aiosmtpd() { ensure_pip_package aiosmtpd aiosmtpd "$AIOSMTPD_VERSION"; }

# Starts the SMTP sink on 127.0.0.1:$1, storing each message under $2 as a .eml file.
start_smtp_sink() {
  local port="$1" dir="$2"
  ensure_aiosmtpd
  stop_smtp_sink "$port"
  mkdir -p "$dir"
  "$ROOT/.venv/bin/python" "$ROOT/scripts/smtp_sink.py" --port "$port" --dir "$dir" \
    >"$LOCAL/logs/smtp-$port.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$LOCAL/smtp-$port.pid"
  # Ours, listening (not another process that had the port already).
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    grep -q "SMTP sink on" "$LOCAL/logs/smtp-$port.log" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the SMTP sink did not start (see .local/logs/smtp-$port.log)"
}

# The first port from $1 up that nothing listens on.
free_port() {
  local port="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
  done
  echo "$port"
}

stop_smtp_sink() {
  local pidfile="$LOCAL/smtp-$1.pid"
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

# NATS with JetStream on 127.0.0.1:4222: the machine's, or one started here
# (Debian's nats-server, storing under .local/nats). Fails softly: no bus then.
ensure_nats() {
  (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && return 0
  command -v nats-server >/dev/null || apt_install nats-server || return 1
  log "starting nats-server with JetStream on 127.0.0.1:4222"
  mkdir -p "$LOCAL/nats"
  nats-server -js -a 127.0.0.1 -p 4222 -sd "$LOCAL/nats" >"$LOCAL/logs/nats.log" 2>&1 &
  echo $! >"$LOCAL/nats.pid"
  for _ in $(seq 1 50); do
    (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nats-server did not start (see .local/logs/nats.log)" >&2
  return 1
}

# Registers a webhook endpoint with the emulator: register_webhook PORT ID URL SECRET
register_webhook() {
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$1/_config/webhooks/$2" \
    -d "url=$3" -d "secret=$4" \
    -d "events[]=payment_intent.succeeded" -d "events[]=payment_intent.payment_failed" \
    -d "events[]=payment_intent.canceled" -d "events[]=charge.refunded"
}

# Node.js and npm (Debian's when missing): they build the web app in ui/.
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 18 ] || die "the web app needs Node.js 18 or newer (found $(node --version))"
}

# Builds ui/ into ui/dist/ from its lockfile: API types regenerated from
# openapi/*.json, type-checked, bundled. npm ci runs only when the lockfile changed.
build_ui() {
  ensure_node
  local stamp="$ROOT/ui/node_modules/.slotwise-lock"
  if ! cmp -s "$ROOT/ui/package-lock.json" "$stamp" 2>/dev/null; then
    log "installing the web app's packages (npm ci)"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/ui/package-lock.json" "$stamp"
  fi
  log "building the web app"
  (cd "$ROOT/ui" && npm run --silent build)
}

# Debian's Chromium and its driver, for the browser tests.
ensure_chromium() {
  command -v chromium >/dev/null && command -v chromedriver >/dev/null && return 0
  apt_install chromium chromium-driver
}

# nginx in front of booking and search instances: booking on :8080, search on
# :8081, each spreading requests over its instances' ports, X-Forwarded-For
# set. start_nginx_front "BOOKING_PORTS" "SEARCH_PORTS" (stop: nginx -s stop
# -c "$LOCAL/nginx.conf" -p "$LOCAL").
start_nginx_front() {
  command -v nginx >/dev/null || apt_install nginx
  local booking="" search="" port
  for port in $1; do booking="$booking server 127.0.0.1:$port;"; done
  for port in $2; do search="$search server 127.0.0.1:$port;"; done
  cat >"$LOCAL/nginx.conf" <<CONF
worker_processes 1;
pid $LOCAL/nginx.pid;
error_log $LOCAL/logs/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream booking { $booking keepalive 64; }
  upstream search { $search keepalive 64; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host \$host;
  proxy_set_header X-Forwarded-For \$remote_addr;
  client_max_body_size 64k;
  server { listen 127.0.0.1:8080; location / { proxy_pass http://booking; } }
  server { listen 127.0.0.1:8081; location / { proxy_pass http://search; } }
}
CONF
  nginx -c "$LOCAL/nginx.conf" -p "$LOCAL"
  wait_for_http http://127.0.0.1:8080/readyz 10
  wait_for_http http://127.0.0.1:8081/readyz 10
}
