DROP TABLE deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE outbox;
