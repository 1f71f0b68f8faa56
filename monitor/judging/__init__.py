"""Judging: pure functions and the engine that turn probe results into model and provider
statuses, quality verdicts and incidents with evidence-backed wording.

May import: the shared basics at the top of `monitor` (clock, config, durations, names,
results, histogram, rollups). Never imports probing, the store, scenarios, the worker or the site.
The site reads only its vocabulary modules: `status`, `incidents`, `quality`."""
