DROP INDEX events_price_idx;
