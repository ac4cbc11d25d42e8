-- A listing's price stays within the cap of its event on every write, not
-- only when it is made: the cap in cents is stored with the listing when it
-- is made (face value × max_percent_of_face, or the highest ticket price) and
-- the database checks every INSERT or UPDATE of the price against it.
ALTER TABLE listings ADD COLUMN max_price_cents bigint;
UPDATE listings l SET max_price_cents = COALESCE(
    (SELECT t.price_cents * e.resale_max_percent_of_face / 100
       FROM tickets t JOIN events e ON e.id = t.event_id
      WHERE t.event_id = l.event_id AND t.id = l.ticket_id AND e.resale_max_percent_of_face IS NOT NULL),
    100000000);
-- Listings made over their cap before (PATCH did not check it): withdrawn
-- unless a buyer is paying right now; the ones sold or held keep their price
-- as their cap.
UPDATE listings SET status = 'withdrawn', version = version + 1
 WHERE status = 'active' AND locked_by IS NULL AND price_cents > max_price_cents;
UPDATE listings SET max_price_cents = price_cents WHERE price_cents > max_price_cents;
ALTER TABLE listings ALTER COLUMN max_price_cents SET NOT NULL;
ALTER TABLE listings ADD CONSTRAINT listings_price_within_cap CHECK (price_cents <= max_price_cents);
