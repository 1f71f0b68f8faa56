"""Rendering: formatting of words and numbers, Jinja filters, SVG charts and badges, the
uptime bar's markup and RSS/Atom feeds. Takes plain data, returns text.

May import: `web.queries.viewmodels` and the shared basics. Never the store or probing."""
