"""Scenarios: scenario files (`spec`, `values`), the simulated provider served over HTTP
(`simulator/`), the in-process virtual probe and `replay` on a virtual clock. Bundled
scenario files (`demo.toml`) live here as package data.

May import: the shared basics, probing and judging. Never imports the store, the worker
or the site."""
