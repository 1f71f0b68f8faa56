"""The public URL paths the machine-readable outputs link to, in one place.

Routes must serve these paths. Model names may hold any character (an
OpenAI-compatible host's `meta-llama/Llama-3`), so every segment is
percent-encoded, "/" included: a link can never change its path's shape.
"""

from __future__ import annotations

from urllib.parse import quote

from monitor.config import SiteSettings


def absolute(site: SiteSettings, path: str) -> str:
    return site.public_url.rstrip("/") + path


def _target_segments(target_id: str) -> str:
    provider, _, model = target_id.partition("/")
    return f"{quote(provider, safe='')}/{quote(model, safe='')}"


def model_page(target_id: str) -> str:
    return f"/models/{_target_segments(target_id)}"


def model_days(target_id: str) -> str:
    """The model's 90 days with their details, as an HTML fragment the overview fetches."""
    return f"/days/{_target_segments(target_id)}"


def model_feed(target_id: str, kind: str) -> str:
    """`kind`: "rss" or "atom"."""
    return f"{model_page(target_id)}/history.{kind}"


def provider_page(provider_id: str) -> str:
    return f"/providers/{quote(provider_id, safe='')}"


def provider_feed(provider_id: str, kind: str) -> str:
    return f"{provider_page(provider_id)}/history.{kind}"


def site_feed(kind: str) -> str:
    return f"/history.{kind}"


def model_api(target_id: str) -> str:
    return f"/api/v1/models/{_target_segments(target_id)}"


def badge(target_id: str) -> str:
    return f"/badge/{_target_segments(target_id)}.svg"


def incident_page(incident_id: str) -> str:
    return f"/incidents/{quote(incident_id, safe='')}"
