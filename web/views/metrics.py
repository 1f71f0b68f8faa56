"""`/metrics` for Prometheus: one snapshot (operator-only incidents counted, never
named) and today's day rollups (web/queries/snapshot_builder.py explains the daily reset)."""

from __future__ import annotations

from flask import Blueprint, Response

from web.api.metrics import render_metrics
from web.caching import METRICS, cached
from web.queries.snapshot_builder import metric_rollups, site_snapshot
from web.views.pages import site_data

metrics = Blueprint("metrics", __name__)


@metrics.get("/metrics")
@cached(METRICS)
def prometheus() -> Response:
    data = site_data()
    body, content_type = render_metrics(
        # detail: the deployment state weighs answer quality, as the recommendation does
        site_snapshot(data, detail=True, include_private=True),
        metric_rollups(data),
    )
    return Response(body, content_type=content_type)
