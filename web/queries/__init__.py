"""Reads through the store (`SiteData`, at most once per request) and builds the plain, frozen
view models pages render (`viewmodels`) and the snapshots machine outputs reshape (`snapshots`).

May import: the store, judging's vocabulary (status, incidents, quality), the shared
basics, `web.render` for markup pieces. Never probing or the worker."""
