"""Row-level storage: the tables, and one module per kind of row that inserts, updates
and reads it, with the statements that differ between SQLite and PostgreSQL.

Only `monitor.store` imports this package; callers use `Store`."""
