"""Telling people and gateways: outbox rows become signed webhooks (and, later, mail).

    Store.record_engine_changes ──same transaction──► outbox rows
    Deliverer.run_once (in the worker):
        fan out new rows to matching subscriptions ─► deliveries
        claim the due ones in batches, per lane (a lease) ─► POST or mail each, with a deadline
        record: sent · retry later (back-off, jitter, Retry-After) · failed · given up

`payloads` shapes an outbox row like Statuspage's webhooks, `signing` derives each
subscription's secret and signs a body, `sending` makes one attempt, `deliverer`
runs the lanes, `channels` sends to operator channels through Apprise and `replies`
reads what their servers answered (status, Retry-After), which Apprise does not pass
on, and keeps Apprise's plugins from sleeping out a rate limit inside a try. Imports the
basics, the store and judging's vocabulary; never probing, scenarios, the worker or the web.
"""
