"""A provider's page from one `SiteData`: its models (as on the overview), its status
derived from theirs (never the other way round), its incidents and its feeds.

The reads are the overview's (web/queries/overview.py), so the page costs what the
overview costs; a provider's incidents are those it opened or that touch its models.
"""

from __future__ import annotations

from monitor.judging.incidents import Incident
from monitor.judging.status import provider_status
from web import public_paths
from web.queries.overview import Overview
from web.queries.parts import display_names, feed_links, incident_summary, missing_key
from web.queries.site_data import SiteData
from web.queries.snapshots import NO_DATA, NOT_CONFIGURED
from web.queries.story import stories
from web.queries.viewmodels import ProviderPage

PROVIDER_INCIDENTS = 10


def provider_page(data: SiteData, provider_id: str) -> ProviderPage | None:
    """None when no provider has this id."""
    provider = data.provider(provider_id)
    if provider is None:
        return None
    targets = [t for t in data.targets() if t.provider == provider.id]
    page = Overview(data)
    told = stories(data)
    judged = [told[t.id].status for t in targets if told[t.id].status is not None]
    status = provider_status(s for s in judged if s is not None) if judged else None
    if not provider.configured:
        word, summary = NOT_CONFIGURED, None
    else:
        word = status.status.value if status else NO_DATA
        summary = status.summary if status else None
    mine = [i for i in page.incidents if _touches(i, provider.id, {t.id for t in targets})]
    names = display_names(data.targets())
    simulated = frozenset(t.id for t in data.targets() if t.simulated)
    active = [i for i in mine if i.is_open]
    resolved = [i for i in mine if not i.is_open][:PROVIDER_INCIDENTS]
    return ProviderPage(
        id=provider.id,
        name=provider.display_name,
        url=public_paths.provider_page(provider.id),
        status=word,
        summary=summary,
        generated_at=data.now,
        models=tuple(page.row(t, provider, show_provider=False) for t in targets),
        active_incidents=tuple(incident_summary(i, names, data.now, simulated) for i in active),
        past_incidents=tuple(incident_summary(i, names, data.now, simulated) for i in resolved),
        simulated=provider.simulated,
        missing_key=missing_key(provider),
        feeds=feed_links(lambda kind: public_paths.provider_feed(provider.id, kind)),
    )


def _touches(incident: Incident, provider_id: str, targets: set[str]) -> bool:
    return incident.provider == provider_id or any(t in targets for t in incident.models)
