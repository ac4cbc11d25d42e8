-- What must hold after any sequence of moves, read from the database alone.
-- One file, read by `scripts/reconcile` (scripts/money/reconcile.py) and by the
-- model-based lifecycle test (crates/booking/tests/api/lifecycle.rs), so the
-- two never disagree on what an invariant is. Each check query answers
-- the ids breaking it (none when it holds); the books query answers, per
-- payable with a PaymentIntent, what our books say it paid and had refunded, which the
-- callers compare with what Stripe kept.

-- check: more valid tickets than capacity in tier
SELECT tt.id FROM ticket_tiers tt
 WHERE (SELECT count(*) FROM tickets t WHERE t.event_id = tt.event_id AND t.tier_id = tt.id
          AND t.status IN ('valid', 'transfer_pending')) > tt.capacity;

-- check: more than one valid ticket for seat
SELECT seat_id FROM tickets WHERE seat_id IS NOT NULL AND status IN ('valid', 'transfer_pending')
 GROUP BY event_id, seat_id HAVING count(*) > 1;

-- check: active listing on a ticket that is not its seller's valid one, of an event not published, or over its cap
SELECT l.id FROM listings l
  JOIN tickets t ON t.event_id = l.event_id AND t.id = l.ticket_id
  JOIN events e ON e.id = l.event_id
 WHERE l.status = 'active' AND (t.status <> 'valid' OR t.holder_id IS DISTINCT FROM l.seller_id
       OR e.status <> 'published' OR l.price_cents > l.max_price_cents);

-- check: ticket admissions at the door not one per entry (its count, who is inside, the recorded scans)
SELECT t.id FROM tickets t
 WHERE t.entries <> (SELECT count(*) FROM checkins c
                      WHERE c.event_id = t.event_id AND c.ticket_id = t.id AND c.result = 'admitted')
    OR (t.inside AND t.entries = 0);

-- check: a ticket checked in at the door moved to someone else afterwards
SELECT c.ticket_id FROM checkins c JOIN tickets t ON t.event_id = c.event_id AND t.id = c.ticket_id
 WHERE c.result = 'admitted' AND EXISTS (
       SELECT 1 FROM ticket_moves m WHERE m.event_id = c.event_id AND m.ticket_id = c.ticket_id
          AND m.kind IN ('gift', 'gift_pending', 'claimed', 'resale') AND m.at > c.recorded_at);

-- check: promo code uses not the orders holding one, or past its max; an order holding
-- one that is over (not pending or confirmed, or with no live ticket left)
SELECT v.id FROM vouchers v
 WHERE v.uses <> (SELECT count(*) FROM orders o WHERE o.event_id = v.event_id AND o.voucher_id = v.id
                    AND o.voucher_held)
    OR v.uses > v.max_uses
UNION ALL
SELECT o.id FROM orders o
 WHERE o.voucher_held AND (o.status NOT IN ('pending', 'confirmed')
    OR (o.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.event_id = o.event_id
          AND t.order_id = o.id AND t.status IN ('valid', 'transfer_pending'))));

-- check: an order's discount not what its items were taken off (their price is frozen, after it)
SELECT o.id FROM orders o
 WHERE o.kind = 'tickets'
   AND o.total_cents <> (SELECT COALESCE(sum(i.unit_price_cents * i.quantity), 0) FROM order_items i
                          WHERE i.event_id = o.event_id AND i.order_id = o.id)
   AND o.status IN ('pending', 'confirmed');

-- check: a tier's held stock not its pending ticket orders' units plus its waiting
-- list's live offers (so no unit is held twice, offered twice, or lost; a resale
-- order holds a ticket, not stock)
SELECT s.tier_id FROM tier_stock s
 GROUP BY s.event_id, s.tier_id
HAVING sum(s.held) <> (SELECT COALESCE(sum(i.quantity), 0) FROM order_items i
                         JOIN orders o ON o.event_id = i.event_id AND o.id = i.order_id
                        WHERE i.event_id = s.event_id AND i.tier_id = s.tier_id AND o.status = 'pending'
                          AND o.kind = 'tickets')
                    + (SELECT COALESCE(sum(w.quantity), 0) FROM waitlist_entries w
                        WHERE w.event_id = s.event_id AND w.tier_id = s.tier_id AND w.status = 'offered');

-- check: a tier's sold stock not its live tickets
SELECT s.tier_id FROM tier_stock s
 GROUP BY s.event_id, s.tier_id
HAVING sum(s.sold) <> (SELECT count(*) FROM tickets t WHERE t.event_id = s.event_id AND t.tier_id = s.tier_id
                          AND t.status IN ('valid', 'transfer_pending'));

-- check: payout owed for a revoked ticket
SELECT p.id FROM payouts p JOIN listings l ON l.event_id = p.event_id AND l.id = p.listing_id
  JOIN tickets t ON t.event_id = l.event_id AND t.id = l.ticket_id
 WHERE p.status = 'owed' AND t.status = 'void';

-- check: payout not of a paid and kept resale of a sold listing, or not its price
SELECT p.id FROM payouts p JOIN listings l ON l.event_id = p.event_id AND l.id = p.listing_id
  JOIN orders o ON o.event_id = p.event_id AND o.id = p.order_id
 WHERE p.status <> 'cancelled' AND (l.status <> 'sold' OR o.status <> 'confirmed'
       OR o.listing_id <> l.id OR p.amount_cents + p.fee_cents <> o.total_cents);

-- check: refunds owed on a payable beyond its price (a payment of the wrong amount is
-- refunded whole, whatever the price)
SELECT r.payable_id FROM refunds r
  LEFT JOIN bookings b ON r.payable_kind = 'booking' AND b.professional_id = r.scope_id AND b.id = r.payable_id
  LEFT JOIN orders o ON r.payable_kind = 'order' AND o.event_id = r.scope_id AND o.id = r.payable_id
 GROUP BY r.scope_id, r.payable_id
HAVING sum(r.amount_cents) FILTER (WHERE r.reason <> 'payment_mismatch')
       > max(coalesce(b.price_cents, o.total_cents, 0));

-- check: refund owed for a day and still not made (Stripe keeps refusing it)
SELECT r.id FROM refunds r WHERE r.refund_id IS NULL AND r.requested_at < now() - interval '1 day';

-- books: kind, id, intent, status, payment (Stripe's last word), paid, refunded (made), owed (a refund not made yet)
SELECT 'booking' AS kind, b.id, b.payment_intent_id AS intent, b.status,
       coalesce(b.payment_status, '') AS payment,
       CASE WHEN b.payment_status = 'succeeded' THEN b.price_cents ELSE 0 END AS paid,
       coalesce((SELECT sum(r.amount_cents) FROM refunds r WHERE r.scope_id = b.professional_id
                   AND r.payable_id = b.id AND r.refund_id IS NOT NULL), 0) AS refunded,
       EXISTS (SELECT 1 FROM refunds r WHERE r.scope_id = b.professional_id
                 AND r.payable_id = b.id AND r.refund_id IS NULL) AS owed
  FROM bookings b WHERE b.payment_intent_id IS NOT NULL
UNION ALL
SELECT 'order', o.id, o.payment_intent_id, o.status,
       coalesce(o.payment_status, ''),
       CASE WHEN o.payment_status = 'succeeded' THEN o.total_cents ELSE 0 END,
       coalesce((SELECT sum(r.amount_cents) FROM refunds r WHERE r.scope_id = o.event_id
                   AND r.payable_id = o.id AND r.refund_id IS NOT NULL), 0),
       EXISTS (SELECT 1 FROM refunds r WHERE r.scope_id = o.event_id
                 AND r.payable_id = o.id AND r.refund_id IS NULL)
  FROM orders o WHERE o.payment_intent_id IS NOT NULL;
