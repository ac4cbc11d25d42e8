-- Events, ticket tiers, named seats, orders and tickets: the second kind of
-- order on the payment core. Every table carries `event_id`, the column they
-- would be distributed by on Citus (docs/SCALING.md), and every statement on
-- them names it.

-- Keys and Stripe events now serve every kind of order, not only bookings.
ALTER TABLE idempotency_keys DROP CONSTRAINT IF EXISTS idempotency_keys_booking_id_fkey;
ALTER TABLE idempotency_keys RENAME COLUMN booking_id TO payable_id;
ALTER TABLE stripe_events DROP CONSTRAINT IF EXISTS stripe_events_booking_id_fkey;
ALTER TABLE stripe_events RENAME COLUMN booking_id TO payable_id;

CREATE TABLE events (
    id              uuid PRIMARY KEY,
    slug            text NOT NULL UNIQUE,
    organizer_id    uuid NOT NULL REFERENCES users (id),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description     text NOT NULL DEFAULT '',
    category        text NOT NULL,
    venue_name      text NOT NULL,
    lat             double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    long            double precision NOT NULL CHECK (long BETWEEN -180 AND 180),
    geog            geography(Point, 4326)
                    GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(long, lat), 4326)::geography) STORED,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz CHECK (ends_at > starts_at),
    currency        text NOT NULL,
    max_per_order   integer NOT NULL DEFAULT 10 CHECK (max_per_order BETWEEN 1 AND 100),
    resale_allowed  boolean NOT NULL DEFAULT true,
    resale_max_percent_of_face integer CHECK (resale_max_percent_of_face > 0),
    seated          boolean NOT NULL,
    -- The cheapest ticket and the number of units, fixed at creation (search reads them).
    min_price_cents bigint NOT NULL CHECK (min_price_cents >= 0),
    capacity        integer NOT NULL CHECK (capacity > 0),
    status          text NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'cancelled')),
    search          tsvector GENERATED ALWAYS AS (
                        setweight(to_tsvector('english', title), 'A')
                        || setweight(to_tsvector('english', description), 'B')) STORED,
    version         bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_organizer_idx ON events (organizer_id, created_at DESC, id DESC);
CREATE INDEX events_geog_idx ON events USING gist (geog) WHERE status = 'published';
CREATE INDEX events_starts_at_idx ON events (starts_at, id) WHERE status = 'published';
CREATE INDEX events_category_starts_at_idx ON events (category, starts_at, id) WHERE status = 'published';
CREATE INDEX events_search_idx ON events USING gin (search) WHERE status = 'published';

CREATE TABLE ticket_tiers (
    id          uuid PRIMARY KEY,
    event_id    uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name        text NOT NULL,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    capacity    integer NOT NULL CHECK (capacity > 0),
    position    integer NOT NULL,
    UNIQUE (event_id, name)
);

-- A tier's stock, split over up to 8 counter rows so that concurrent buyers
-- rarely wait on one row (shared/ARCHITECTURE.md, "Ticket inventory": one row
-- ~3,300 tx/s, 8 rows ~7,800). The CHECK is what makes an oversell impossible.
CREATE TABLE tier_stock (
    event_id uuid NOT NULL,
    tier_id  uuid NOT NULL REFERENCES ticket_tiers (id) ON DELETE CASCADE,
    bucket   smallint NOT NULL,
    capacity integer NOT NULL,
    held     integer NOT NULL DEFAULT 0,
    sold     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tier_id, bucket),
    CHECK (held >= 0 AND sold >= 0 AND held + sold <= capacity)
);
CREATE INDEX tier_stock_event_idx ON tier_stock (event_id);

-- A named seat. `order_id` is the one active order holding or owning it: one
-- column, so a seat is never in two active orders.
CREATE TABLE seats (
    id          uuid PRIMARY KEY,
    event_id    uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    label       text NOT NULL,
    section     text,
    "row"       text,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    position    integer NOT NULL,
    order_id    uuid,
    sold        boolean NOT NULL DEFAULT false,
    UNIQUE (event_id, label),
    CHECK (NOT sold OR order_id IS NOT NULL)
);
CREATE INDEX seats_event_position_idx ON seats (event_id, position);
CREATE INDEX seats_free_idx ON seats (event_id) WHERE order_id IS NULL;

-- An order's money columns are the bookings' (the payment core reads them alike).
CREATE TABLE orders (
    id                    uuid PRIMARY KEY,
    event_id              uuid NOT NULL REFERENCES events (id),
    kind                  text NOT NULL DEFAULT 'tickets' CHECK (kind IN ('tickets')),
    buyer_id              uuid NOT NULL REFERENCES users (id),
    total_cents           bigint NOT NULL CHECK (total_cents >= 0),
    currency              text NOT NULL,
    status                text NOT NULL
                          CHECK (status IN ('pending', 'confirmed', 'expired', 'cancelled', 'failed', 'refunded')),
    expires_at            timestamptz,
    cancelled_at          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    payment_intent_id     text UNIQUE,
    payment_client_secret text,
    payment_status        text,
    payment_error         text,
    refund_id             text,
    refund_amount_cents   bigint,
    refund_reason         text,
    refund_requested_at   timestamptz,
    refund_attempted_at   timestamptz,
    client_ip             text
);
CREATE INDEX orders_buyer_idx ON orders (buyer_id, created_at DESC, id DESC);
CREATE INDEX orders_event_idx ON orders (event_id);
CREATE INDEX orders_pending_expires_at_idx ON orders (expires_at) WHERE status = 'pending';
CREATE INDEX orders_unpaid_by_buyer ON orders (buyer_id) WHERE status = 'pending';
CREATE INDEX orders_refund_due_idx ON orders (refund_requested_at)
    WHERE refund_requested_at IS NOT NULL AND refund_id IS NULL;
CREATE INDEX orders_unsettled_idx ON orders (updated_at)
    WHERE (payment_intent_id IS NOT NULL
           AND (status = 'pending' OR payment_status IS NULL
                OR payment_status NOT IN ('succeeded', 'canceled')))
       OR payment_status = 'unknown';

-- What an order holds: tier units from one stock bucket, or one seat.
CREATE TABLE order_items (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    event_id         uuid NOT NULL,
    tier_id          uuid REFERENCES ticket_tiers (id),
    bucket           smallint,
    seat_id          uuid REFERENCES seats (id),
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
    CHECK ((tier_id IS NOT NULL AND bucket IS NOT NULL AND seat_id IS NULL)
        OR (tier_id IS NULL AND bucket IS NULL AND seat_id IS NOT NULL AND quantity = 1))
);
CREATE INDEX order_items_order_idx ON order_items (order_id);

CREATE TABLE tickets (
    id          uuid PRIMARY KEY,
    event_id    uuid NOT NULL REFERENCES events (id),
    order_id    uuid REFERENCES orders (id),
    tier_id     uuid REFERENCES ticket_tiers (id),
    seat_id     uuid REFERENCES seats (id),
    holder_id   uuid NOT NULL REFERENCES users (id),
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    status      text NOT NULL CHECK (status IN ('valid', 'refunded', 'void')),
    code        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((tier_id IS NULL) <> (seat_id IS NULL))
);
CREATE INDEX tickets_holder_idx ON tickets (holder_id, created_at DESC, id DESC);
CREATE INDEX tickets_order_idx ON tickets (order_id);
-- A seat has at most one valid ticket.
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (seat_id) WHERE status = 'valid' AND seat_id IS NOT NULL;

CREATE TABLE order_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    event_id    uuid NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    reason      text NOT NULL,
    source      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_transitions_order_idx ON order_transitions (order_id, id);
