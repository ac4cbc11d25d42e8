-- On-sale windows (issue 28): a tier is sold from `sales_start` (none: at
-- once) until `sales_end` (none: until the event starts). An order outside
-- its tiers' windows is refused (409 not_on_sale).
ALTER TABLE ticket_tiers
    ADD COLUMN sales_start timestamptz,
    ADD COLUMN sales_end timestamptz,
    ADD CONSTRAINT ticket_tiers_sales_window
        CHECK (sales_start IS NULL OR sales_end IS NULL OR sales_end > sales_start);
