-- Slotwise foundation: accounts, professionals, availability, bookings, idempotency keys.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email)),
    name          text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('client', 'professional', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Only the SHA-256 of a session token is stored; the token itself never is.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE professionals (
    id                uuid PRIMARY KEY,
    slug              text NOT NULL UNIQUE,
    owner_id          uuid NOT NULL REFERENCES users (id),
    name              text NOT NULL,
    category          text NOT NULL,
    description       text NOT NULL DEFAULT '',
    rate_per_minute   bigint NOT NULL CHECK (rate_per_minute >= 0),
    currency          text NOT NULL DEFAULT 'usd',
    lat               double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    long              double precision NOT NULL CHECK (long BETWEEN -180 AND 180),
    geog              geography(Point, 4326)
                      GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(long, lat), 4326)::geography) STORED,
    service_radius_km double precision CHECK (service_radius_km > 0),
    timezone          text NOT NULL DEFAULT 'UTC',
    version           bigint NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Search: category filter + KNN on distance from one GiST index (btree_gist for the text column).
CREATE INDEX professionals_category_geog_idx ON professionals USING gist (category, geog);
CREATE INDEX professionals_geog_idx ON professionals USING gist (geog);
CREATE INDEX professionals_owner_id_idx ON professionals (owner_id);

CREATE TABLE availability_windows (
    id              uuid PRIMARY KEY,
    professional_id uuid NOT NULL REFERENCES professionals (id) ON DELETE CASCADE,
    start_time      timestamptz NOT NULL,
    end_time        timestamptz NOT NULL,
    period          tstzrange GENERATED ALWAYS AS (tstzrange(start_time, end_time, '[)')) STORED,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (end_time > start_time),
    -- Windows of one professional never overlap, so "inside one window" is unambiguous.
    CONSTRAINT availability_windows_no_overlap
        EXCLUDE USING gist (professional_id WITH =, period WITH &&)
);

CREATE TABLE bookings (
    id               uuid PRIMARY KEY,
    professional_id  uuid NOT NULL REFERENCES professionals (id),
    client_id        uuid REFERENCES users (id),
    start_time       timestamptz NOT NULL,
    end_time         timestamptz NOT NULL,
    period           tstzrange GENERATED ALWAYS AS (tstzrange(start_time, end_time, '[)')) STORED,
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    price_cents      bigint NOT NULL CHECK (price_cents >= 0),
    currency         text NOT NULL,
    status           text NOT NULL
                     CHECK (status IN ('pending', 'confirmed', 'expired', 'cancelled', 'failed', 'refunded')),
    expires_at       timestamptz,
    cancelled_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (end_time > start_time),
    -- The last line of defence against double booking: no code path can store two
    -- active bookings of one professional that overlap.
    CONSTRAINT bookings_no_double_booking
        EXCLUDE USING gist (professional_id WITH =, period WITH &&)
        WHERE (status IN ('pending', 'confirmed'))
);
CREATE INDEX bookings_client_id_idx ON bookings (client_id, created_at DESC, id DESC);
CREATE INDEX bookings_professional_id_idx ON bookings (professional_id, created_at DESC, id DESC);

-- One row per (caller scope, key): the claim, the request fingerprint, the recovery
-- point reached, and the final answer that a retry replays.
CREATE TABLE idempotency_keys (
    scope           text NOT NULL,
    key             text NOT NULL,
    fingerprint     bytea NOT NULL,
    request_method  text NOT NULL,
    request_path    text NOT NULL,
    request_body    jsonb NOT NULL,
    user_id         uuid REFERENCES users (id) ON DELETE CASCADE,
    recovery_point  text NOT NULL DEFAULT 'started',
    locked_at       timestamptz,
    booking_id      uuid REFERENCES bookings (id) ON DELETE SET NULL,
    response_status integer,
    response_body   jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
CREATE INDEX idempotency_keys_locked_at_idx ON idempotency_keys (locked_at) WHERE locked_at IS NOT NULL;
