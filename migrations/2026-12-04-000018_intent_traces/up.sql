-- The W3C traceparent of the request that made a PaymentIntent, kept while
-- traces are exported (and only for sampled requests), so that the webhook
-- that settles the intent, which arrives on a trace of its own, can link
-- back to it. Telemetry, not state: written outside the payable's
-- transaction, pruned after 7 days by the purge job.
CREATE TABLE intent_traces (
    intent_id text PRIMARY KEY,
    traceparent text NOT NULL CHECK (length(traceparent) <= 128),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intent_traces_created_at ON intent_traces (created_at);
