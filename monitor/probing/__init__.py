"""Probing: build each provider's request, send it over HTTP (streaming, no retries), time it,
classify the outcome and score the answer; the scheduler that runs probes on time.

May import: the shared basics at the top of `monitor` (clock, config, durations, names, results).
Never imports judging, the store, scenarios, the worker, the CLI or the site."""
