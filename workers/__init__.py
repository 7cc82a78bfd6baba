"""Background job functions. Each is a thin, idempotent wrapper: load by id, call a domain service."""
