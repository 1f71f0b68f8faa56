"""`Settings`: the whole file, each section checked alone and then together."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import model_validator

from monitor.config.notifications import NotificationSettings
from monitor.config.running import (
    ProbeSettings,
    SimulatorSettings,
    SiteSettings,
    StorageSettings,
    WebSettings,
)
from monitor.config.section import Section
from monitor.config.status import StatusSettings
from monitor.config.targets import ModelSettings, ProviderSettings
from monitor.config_checks import Outline, default_public_url


class Settings(Section):
    site: SiteSettings = SiteSettings()
    storage: StorageSettings = StorageSettings()
    probe: ProbeSettings = ProbeSettings()
    web: WebSettings = WebSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    status: StatusSettings = StatusSettings()
    notifications: NotificationSettings = NotificationSettings()
    providers: tuple[ProviderSettings, ...] = ()
    models: tuple[ModelSettings, ...] = ()
    # Where relative paths in the file (SQLite database, scenario) are resolved from.
    base_dir: str = "."

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        problems = Outline.of(self).problems()
        if problems:
            raise ValueError("\n".join(problems))
        if "public_url" not in self.site.model_fields_set:
            # Links in feeds and the API follow a changed [web] port unless set explicitly.
            site = self.site.model_copy(update={"public_url": default_public_url(self.web)})
            object.__setattr__(self, "site", site)  # still being built: frozen from here on
        return self

    def provider(self, provider_id: str) -> ProviderSettings:
        for provider in self.providers:
            if provider.id == provider_id:
                return provider
        raise KeyError(provider_id)

    def model(self, model_id: str) -> ModelSettings:
        for model in self.models:
            if model.id == model_id:
                return model
        raise KeyError(model_id)

    def interval_for(self, model: ModelSettings) -> float:
        return model.interval or self.probe.interval

    def storage_url(self) -> str:
        """The SQLAlchemy URL, with a relative SQLite path anchored at the config's folder."""
        url = self.storage.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix:
            path = url[len(prefix) :]
            if path != ":memory:":
                return prefix + str((Path(self.base_dir) / path).resolve())
        return url
