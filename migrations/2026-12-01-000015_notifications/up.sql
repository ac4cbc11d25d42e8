-- Notifications (SPEC "Notifications"): every change a person cares about is
-- written to `outbox` in the transaction that makes it; a job fans each row
-- out into `deliveries` (one per email recipient, webhook endpoint, bus
-- subject) and another sends those, at least once, with retries.

CREATE TABLE outbox (
    -- Also the delivery key: the Message-ID of its mail, the `id` of its
    -- webhook body, its `Nats-Msg-Id`; a recipient sees it once.
    id uuid PRIMARY KEY,
    topic text NOT NULL,
    -- The booking, order, ticket, listing or event it is about.
    subject_id uuid NOT NULL,
    -- Whose webhook endpoints hear of it (the professional's or organizer's user).
    owner_id uuid REFERENCES users (id),
    -- Who is mailed, if anyone, and what only the mail carries (ticket codes).
    email text,
    mail jsonb NOT NULL DEFAULT '{}',
    -- The event's public body: webhooks and the bus.
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz
);
CREATE INDEX outbox_undispatched ON outbox (created_at) WHERE dispatched_at IS NULL;

CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES users (id),
    url text NOT NULL,
    event_types text[] NOT NULL,
    -- Signs every delivery; shown once, when the endpoint is made.
    secret text NOT NULL,
    description text NOT NULL DEFAULT '',
    consecutive_failures int NOT NULL DEFAULT 0,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_owner ON webhook_endpoints (owner_id);

CREATE TABLE deliveries (
    id uuid PRIMARY KEY,
    outbox_id uuid NOT NULL REFERENCES outbox (id),
    channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'nats')),
    -- The address, endpoint id or subject: one delivery per event and target.
    target text NOT NULL,
    endpoint_id uuid REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts int NOT NULL DEFAULT 0,
    -- When it may next be tried; while one worker sends it, the end of its lease.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status_code int,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (outbox_id, channel, target)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_waiting ON deliveries (created_at) WHERE status = 'pending';
CREATE INDEX deliveries_dead ON deliveries (id) WHERE status = 'dead';
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, id) WHERE endpoint_id IS NOT NULL;
