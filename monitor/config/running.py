"""How aistatus runs on its machine: `[site]`, `[storage]`, `[probe]`, `[web]`,
`[simulator]`."""

from __future__ import annotations

from pydantic import Field, field_validator

from monitor.config.section import MAX_REGION, REGION_PATTERN, Seconds, Section, Text
from monitor.config_checks import check_interval, http_url, supported_database


class SiteSettings(Section):
    title: Text = "aistatus"
    description: Text = "Independent, per-model health of AI model APIs"
    # Where readers reach the site: feeds and the API link there. Unset, it follows
    # [web] host and port (Settings fills it in).
    public_url: str = "http://127.0.0.1:8080"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return http_url(value, "public_url")


class StorageSettings(Section):
    url: str = "sqlite:///aistatus.db"
    raw_retention_days: int = Field(default=7, ge=1)
    rollup_retention_days: int = Field(default=730, ge=1)
    # Pages read hour rollups for 7 days at most (the 24 h and 7 d charts); at 8,760
    # rows a year they were most of a model-region's disk when kept as long as days.
    hour_rollup_retention_days: int = Field(default=90, ge=7)
    # Minute rollups are read for the last hour only ("now" on every page); a week of
    # them was as many rows as the raw results.
    minute_rollup_retention_days: int = Field(default=2, ge=1)
    buffer_max: int = Field(default=100_000, ge=100)
    batch_size: int = Field(default=500, ge=1)
    # The status engine's state is saved this often and at a clean stop, so a start
    # catches up from it instead of re-judging 25 h of results (0: never; every start
    # rebuilds). Each save writes ~42 kB per model-region to the database.
    engine_snapshot_interval: Seconds = Field(default=600.0, ge=0)

    _supported = field_validator("url")(supported_database)

    @property
    def hour_rollup_days(self) -> int:
        """Hour rollups never outlive the day rollups they add up to."""
        return min(self.hour_rollup_retention_days, self.rollup_retention_days)


class ProbeSettings(Section):
    region: str = Field(default="local", pattern=REGION_PATTERN, max_length=MAX_REGION)
    interval: Seconds = 60.0
    connect_timeout: Seconds = Field(default=10.0, gt=0)
    first_token_timeout: Seconds = Field(default=30.0, gt=0)
    stall_timeout: Seconds = Field(default=20.0, gt=0)
    total_timeout: Seconds = Field(default=45.0, gt=0)
    max_output_tokens: int = Field(default=256, ge=16, le=8192)
    concurrency: int = Field(default=64, ge=1, le=10_000)

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: float) -> float:
        return check_interval(value)


class WebSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class SimulatorSettings(Section):
    """The built-in simulated provider that `aistatus run` serves for the demo group."""

    enabled: bool = False
    scenario: str = "demo"  # a file path, or the name of a bundled scenario
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    speed: float = Field(default=1.0, gt=0)
