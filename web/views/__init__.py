"""Flask blueprints: pick a builder, render it, serve it through the response cache.
No logic here.

May import: `web.queries`, `web.render`, `web.api` and the top of `web`; never probing,
judging internals, the worker or the CLI."""
