# Helpers shared by the bench-* scripts. Source after lib.sh.
# shellcheck shell=bash

BENCH_DB="${BENCH_DB:-slotwise_bench}"
# BENCH_URL: another database to measure on (scripts/citus: the Citus coordinator's).
BENCH_URL="${BENCH_URL:-$PG_SERVER/$BENCH_DB}"
RESULTS="$ROOT/docs/bench-results.tsv"
# BENCH_RELEASE: run other binaries (an earlier build, for a before/after pair).
RELEASE="${BENCH_RELEASE:-$CARGO_TARGET_DIR/release}"

bench_prepare() {
  ensure_rust
  ensure_local_postgres
  command -v wrk >/dev/null || apt_install wrk
  command -v curl >/dev/null || apt_install curl
  ensure_database "$BENCH_DB"
  log "building release binaries"
  cargo build --release --quiet --bin booking --bin search
  DATABASE_URL="$BENCH_URL" RUST_LOG=warn "$RELEASE/booking" migrate
  mkdir -p "$ROOT/docs"
  [ -f "$RESULTS" ] || printf 'run\tbenchmark\tvariant\tclients\trps\tp50_ms\tp95_ms\tp99_ms\tmax_ms\n' >"$RESULTS"
  RUN_ID="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# Whether BENCH_URL is a Citus cluster (scripts/citus bench): bench_on_citus && ...
bench_on_citus() {
  [ "$(psql "$BENCH_URL" -qtAc "SELECT count(*) FROM pg_extension WHERE extname = 'citus'")" = 1 ]
}

# The value of KEY in a "key=value ..." result line: num LINE KEY
num() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

# The throughput of one result line over another's, two decimals: rps_ratio A B
rps_ratio() { python3 -c "print(f'{$(num "$1" rps) / $(num "$2" rps):.2f}')"; }

# Appends one result line: record BENCHMARK VARIANT CLIENTS "key=value ..." (rps, p50_ms, ...)
record() {
  local bench="$1" variant="$2" clients="$3" kv="$4"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$RUN_ID" "$bench" "$variant" "$clients" \
    "$(num "$kv" rps)" "$(num "$kv" p50_ms)" "$(num "$kv" p95_ms)" "$(num "$kv" p99_ms)" "$(num "$kv" max_ms)" >>"$RESULTS"
}

# Starts a release service in the background: start_service booking|search PORT [ENV=VALUE ...]
start_service() {
  local name="$1" port="$2"; shift 2
  local listen_var; listen_var="$(echo "$name" | tr a-z A-Z)_LISTEN"
  # One load generator is one IP and one user: lift the per-IP and per-user limits.
  env DATABASE_URL="$BENCH_URL" RUST_LOG=warn JOBS_ENABLED=false "$listen_var=127.0.0.1:$port" \
    BOOKING_RATE_PER_MINUTE=1000000000 AUTH_RATE_PER_MINUTE=1000000000 \
    MAX_UNPAID_HOLDS_PER_USER=1000000000 MAX_UNPAID_HOLDS_PER_IP=1000000000 "$@" \
    "$RELEASE/$name" serve >"$LOCAL/logs/bench-$name.log" 2>&1 &
  echo $! >"$LOCAL/bench-$name.pid"
  wait_for_http "http://127.0.0.1:$port/readyz" 30
}

stop_service() {
  local pidfile="$LOCAL/bench-$1.pid"
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; rm -f "$pidfile"
  sleep 0.5
}

# pgbench with per-transaction logs; prints "tps=... p50_ms=..." : run_pgbench CLIENTS SECONDS SCRIPT [pgbench args]
run_pgbench() {
  local clients="$1" seconds="$2" script; shift 2
  script="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift
  local logdir; logdir="$(mktemp -d)"
  local out
  out=$(cd "$logdir" && PGOPTIONS="-c enable_seqscan=off -c jit=off -c max_parallel_workers_per_gather=0" pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" \
        -l --log-prefix="$logdir/tx" "$@" -f "$script" "$BENCH_URL" 2>&1) || { echo "$out" >&2; return 1; }
  local tps failed
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)
  failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' | head -n 1)
  echo "rps=$tps failed=${failed:-0} $(python3 "$ROOT/scripts/bench/percentiles.py" "$logdir/tx")"
  rm -rf "$logdir"
}

# Signs up a fresh bench client on the service at PORT, signs it in and prints
# its token (sign-up answers 202 alike for new and taken addresses).
bench_token() {
  local body="{\"email\":\"bench-$RANDOM-$RANDOM@slotwise.dev\",\"password\":\"bench-password\",\"name\":\"Bench\"}"
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$1/api/users/signup" -H 'Content-Type: application/json' -d "$body"
  curl -fsS -X POST "http://127.0.0.1:$1/api/users/signin" -H 'Content-Type: application/json' -d "$body" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# --- Profiles (PROFILE=1 on bench-booking): every process on the machine sampled
# by perf during one load run, drawn as a flamegraph by inferno. ---
INFERNO_VERSION=0.12.8

ensure_profiler() {
  command -v perf >/dev/null || apt_install linux-perf
  if [ ! -x "$LOCAL/tools/bin/inferno-flamegraph" ]; then
    log "installing inferno $INFERNO_VERSION (flamegraphs) into .local/tools"
    cargo install --quiet --locked --root "$LOCAL/tools" inferno --version "$INFERNO_VERSION"
  fi
}

# profile_start NAME SECONDS: samples all CPUs for SECONDS in the background
# (99 Hz, DWARF call graphs: neither the release build nor Debian's PostgreSQL
# keeps frame pointers).
profile_start() {
  mkdir -p "$LOCAL/profile"
  perf record -a -F 99 --call-graph dwarf,16384 -o "$LOCAL/profile/$1.data" -- sleep "$2" \
    >"$LOCAL/profile/$1.log" 2>&1 &
  PROFILE_PID=$!
}

# profile_stop NAME TITLE: waits for the sampling, then writes docs/profile/NAME.svg
# (frames under half a pixel left out, which keeps the file small)
# and, in .local/profile/NAME.shares, each process's share of the samples.
profile_stop() {
  wait "$PROFILE_PID" || true
  local data="$LOCAL/profile/$1.data"
  mkdir -p "$ROOT/docs/profile"
  perf script -i "$data" 2>/dev/null | "$LOCAL/tools/bin/inferno-collapse-perf" --all \
    | "$LOCAL/tools/bin/inferno-flamegraph" --title "$2" --width 1600 --minwidth 0.5 >"$ROOT/docs/profile/$1.svg"
  perf report -i "$data" --no-children --sort comm --stdio 2>/dev/null \
    | awk '/^ +[0-9.]+%/ { printf "%s %s; ", $2, $1 }' >"$LOCAL/profile/$1.shares"
}

# The booking benchmarks' world: PROS professionals (bookable-1..PROS), free,
# open 08:00-18:00 UTC for DAYS days from the day after tomorrow. Sets
# day0 (epoch of the first day) and day_args (the days, for booking.lua).
bookable_setup() {
  local pros="$1" days="$2"
  log "setting up $pros bookable professionals with $days days of availability"
  psql "$BENCH_URL" -qtA >/dev/null <<SQL
INSERT INTO users (id, email, name, password_hash, role)
  VALUES ('00000000-0000-7000-8000-000000000001', 'bench-owner@slotwise.dev', 'Bench owner', '!', 'professional')
  ON CONFLICT DO NOTHING;
INSERT INTO professionals (id, slug, owner_id, name, category, rate_per_minute, lat, long, timezone)
  SELECT gen_random_uuid(), 'bookable-' || i, '00000000-0000-7000-8000-000000000001', 'Bookable ' || i,
         'Trainer', 0, 5.6 + (i % 100) * 0.001, -0.18 - (i / 100) * 0.001, 'UTC'
  FROM generate_series(1, $pros) i ON CONFLICT (slug) DO NOTHING;
SQL
  day0=$(( ( $(date -u +%s) / 86400 + 2 ) * 86400 ))
  psql "$BENCH_URL" -qtA >/dev/null <<SQL
INSERT INTO availability_windows (id, professional_id, start_time, end_time, category, geog)
  SELECT gen_random_uuid(), p.id, to_timestamp($day0 + d * 86400 + 28800), to_timestamp($day0 + d * 86400 + 64800), p.category, p.geog
  FROM professionals p, generate_series(0, $days - 1) d
  WHERE p.slug LIKE 'bookable-%'
  ON CONFLICT DO NOTHING;
SQL
  day_args=""
  for d in $(seq 0 $((days - 1))); do day_args="$day_args $(date -u -d "@$((day0 + d * 86400))" +%Y-%m-%d)"; done
  bookable_pros="$pros"
  bookable_days="$days"
}

# Free bookings on random slots of bookable_setup's world for SECONDS through
# the service on PORT; prints wrk's result line: wrk_bookings PORT CLIENTS SECONDS
wrk_bookings() {
  wrk -t "${WRK_THREADS:-2}" -c "$2" -d "${3}s" -s "$ROOT/scripts/bench/booking.lua" "http://127.0.0.1:$1" -- \
    bookable "$bookable_pros" "$bookable_days" "run-$RANDOM$RANDOM" $day_args | sed -n 's/^RESULT //p'
}

reset_bookings() {
  psql "$BENCH_URL" -qtAc "TRUNCATE bookings, idempotency_keys, booking_transitions, stripe_events, outbox, deliveries" >/dev/null
  psql "$BENCH_URL" -qtAc "VACUUM ANALYZE" >/dev/null
}

# Active bookings of one professional that overlap (0, always).
overlaps() {
  psql "$BENCH_URL" -qtAc "SELECT count(*) FROM bookings a JOIN bookings b ON a.professional_id = b.professional_id
    AND a.id < b.id AND a.period && b.period
    WHERE a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed')"
}
