ALTER TABLE ticket_tiers DROP CONSTRAINT ticket_tiers_sales_window,
    DROP COLUMN sales_end, DROP COLUMN sales_start;
