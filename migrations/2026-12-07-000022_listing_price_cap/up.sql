-- A listing's price stays within the cap of its event on every write, not
-- only when it is made: the cap in cents is stored with the listing when it
-- is made (face value × max_percent_of_face, or the highest ticket price) and
-- the database checks every INSERT or UPDATE of the price against it.
ALTER TABLE listings ADD COLUMN max_price_cents bigint;
-- Listings made before: their cap, or their own price where they exceed it.
UPDATE listings l SET max_price_cents = GREATEST(l.price_cents, COALESCE(
    (SELECT t.price_cents * e.resale_max_percent_of_face / 100
       FROM tickets t JOIN events e ON e.id = t.event_id
      WHERE t.event_id = l.event_id AND t.id = l.ticket_id AND e.resale_max_percent_of_face IS NOT NULL),
    100000000));
ALTER TABLE listings ALTER COLUMN max_price_cents SET NOT NULL;
ALTER TABLE listings ADD CONSTRAINT listings_price_within_cap CHECK (price_cents <= max_price_cents);
