-- Door check-in (issue 27). A ticket's code is a signed token of its id, its
-- event and its move counter `moves` (every move bumps it, so an old code
-- verifies as a signature but is stale). `changed_at` feeds the scanners'
-- check-in list with what changed since their last sync. `entries` counts
-- admissions; `inside` is whether the holder is in (re-entry: out, then in).
ALTER TABLE events ADD COLUMN reentry boolean NOT NULL DEFAULT false;
ALTER TABLE tickets
    ADD COLUMN moves integer NOT NULL DEFAULT 0 CHECK (moves >= 0),
    ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN entries integer NOT NULL DEFAULT 0 CHECK (entries >= 0),
    ADD COLUMN inside boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT tickets_inside_entered CHECK (NOT inside OR entries > 0);
CREATE INDEX tickets_event_changed_idx ON tickets (event_id, changed_at);

-- A scanner device of one event: its token (shown once) is kept as a hash.
CREATE TABLE scanners (
    event_id    uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    token_hash  bytea NOT NULL,
    created_by  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    PRIMARY KEY (event_id, id),
    UNIQUE (event_id, token_hash)
);

-- Every scan a device sent, with the answer it got (a scan id sent again
-- gets the same answer). `result` 'admitted' is an admission: one per entry
-- of a ticket, which the unique index below holds also for two doors
-- scanning at the same instant. An offline admission that lost to an
-- earlier one is kept as 'conflict' for the organizer.
CREATE TABLE checkins (
    event_id    uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    scanner_id  uuid NOT NULL,
    scan_id     text NOT NULL CHECK (length(scan_id) BETWEEN 1 AND 100),
    code_hash   bytea NOT NULL,
    ticket_id   uuid,
    direction   text NOT NULL CHECK (direction IN ('in', 'out')),
    result      text NOT NULL,
    entry       integer,
    offline     boolean NOT NULL DEFAULT false,
    scanned_at  timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    status      smallint NOT NULL,
    answer      jsonb NOT NULL,
    PRIMARY KEY (event_id, id),
    UNIQUE (event_id, scanner_id, scan_id),
    FOREIGN KEY (event_id, scanner_id) REFERENCES scanners (event_id, id),
    CHECK (result <> 'admitted' OR (entry IS NOT NULL AND direction = 'in'))
);
CREATE UNIQUE INDEX checkins_one_admission ON checkins (event_id, ticket_id, entry) WHERE result = 'admitted';
CREATE INDEX checkins_ticket_idx ON checkins (event_id, ticket_id, scanned_at);
CREATE INDEX checkins_conflicts_idx ON checkins (event_id, recorded_at) WHERE result = 'conflict';
