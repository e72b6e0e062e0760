-- /readyz writes and reads back this single row: a real write round-trip through the
-- writer connection (and, with replication on, a transaction for Litestream to ship).
CREATE TABLE IF NOT EXISTS health_probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	at INTEGER NOT NULL
);
