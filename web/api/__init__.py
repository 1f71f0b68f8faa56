"""Machine-readable documents: aistatus's `/api/v1`, the Statuspage-compatible `/api/v2`,
their OpenAPI schemas and checker, and `/metrics` in the Prometheus format.

May import: `web.queries.snapshots` and judging's vocabulary. Never the store directly."""
