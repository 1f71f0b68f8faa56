"""The pages every look-and-feel check visits, by name."""

from __future__ import annotations

from tests.browser.conftest import OPUS, Seeded
from web.public_paths import incident_page, model_page, provider_page

PAGES = ("overview", "model", "provider", "incident", "incidents")
MODES = ("light", "dark")


def path_of(name: str, seeded: Seeded) -> str:
    return {
        "overview": "/",
        "model": model_page(OPUS),
        "provider": provider_page("anthropic"),
        "incident": incident_page(seeded.active.id),
        "incidents": "/incidents",
    }[name]
