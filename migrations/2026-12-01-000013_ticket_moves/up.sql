-- Every move of a ticket, with why and on whose word: issued, given, claimed,
-- taken back, resold, refunded, revoked.
CREATE TABLE ticket_moves (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid NOT NULL,
    ticket_id   uuid NOT NULL REFERENCES tickets (id),
    kind        text NOT NULL,
    from_holder uuid,
    to_holder   uuid,
    source      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_moves_ticket_idx ON ticket_moves (event_id, ticket_id, id);
