"""`config.toml` → one validated, immutable `Settings` object, read once at start-up.

Every problem is reported with the key's path (`models[2].interval: ...`) so an
operator can fix the file without reading code. The only environment reads in
aistatus are here, in `api_key_for`, to resolve a secret named in the config.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.durations import parse_duration

MIN_INTERVAL_S = 10.0


class ConfigError(Exception):
    """A config file that cannot be used; the message names each bad key."""


Seconds = Annotated[float, BeforeValidator(parse_duration)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderKind(StrEnum):
    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai_compatible"
    GEMINI = "gemini"


class SiteSettings(_Section):
    title: str = "aistatus"
    description: str = "Independent, per-model health of AI model APIs"
    public_url: str = "http://127.0.0.1:8080"


class StorageSettings(_Section):
    url: str = "sqlite:///aistatus.db"
    raw_retention_days: int = Field(default=7, ge=1)
    rollup_retention_days: int = Field(default=730, ge=1)
    buffer_max: int = Field(default=100_000, ge=100)
    batch_size: int = Field(default=500, ge=1)


class ProbeSettings(_Section):
    region: str = Field(default="local", pattern=r"^[a-z0-9][a-z0-9-]*$")
    interval: Seconds = 60.0
    connect_timeout: Seconds = 10.0
    first_token_timeout: Seconds = 30.0
    stall_timeout: Seconds = 20.0
    total_timeout: Seconds = 45.0
    max_output_tokens: int = Field(default=256, ge=16, le=8192)
    concurrency: int = Field(default=64, ge=1, le=10_000)

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: float) -> float:
        return _check_interval(value)


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class SimulatorSettings(_Section):
    """The built-in simulated provider that `aistatus run` serves for the demo group."""

    enabled: bool = False
    scenario: str = "demo"  # a file path, or the name of a bundled scenario
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    speed: float = Field(default=1.0, gt=0)


class IncidentSettings(_Section):
    """How incidents move from `investigating` to `resolved`."""

    # A few more probe rounds must agree on the cause before the page says "identified".
    identify_after: Seconds = 300.0
    # Quiet time in `monitoring` before `resolved`; with status.recovery_window this is the
    # good spell a flapping model must hold before its incident closes (~13 minutes).
    resolve_after: Seconds = 180.0


class StatusSettings(_Section):
    """Thresholds of the status engine: windows of probes judged against the model's own
    trailing baseline. monitor/judging/status.py explains each default."""

    windows: tuple[Seconds, ...] = (300.0, 900.0, 3600.0)  # entry windows, pooled regions
    false_alarm_rate: float = Field(default=1e-6, gt=0, lt=0.1)  # per window test
    min_failures: int = Field(default=3, ge=1)  # fewer never change a status
    min_effect: float = Field(default=0.05, gt=0, lt=1)  # share above baseline to matter
    baseline_window: Seconds = Field(default=86400.0, ge=3600)
    prior_failure_rate: float = Field(default=0.01, gt=0, lt=1)  # until there is history
    prior_weight: float = Field(default=20.0, ge=1)  # the prior counts as 20 probes
    partial_outage_share: float = Field(default=0.20, gt=0, lt=1)
    major_outage_share: float = Field(default=0.80, gt=0, le=1)
    level_window: Seconds = 900.0  # level from the last 15 minutes
    level_confidence_z: float = Field(default=1.64, gt=0)  # one-sided 95 % bounds
    recovery_window: Seconds = 600.0  # shortest clean stretch to leave
    recovery_min_probes: int = Field(default=20, ge=1)
    recovery_alpha: float = Field(default=0.001, gt=0, lt=0.5)
    region_odds: float = Field(default=10.0, ge=1)  # evidence needed to blame a side
    vantage_confirm: Seconds = 300.0  # a confined pattern must hold
    slow_factor: float = Field(default=2.0, gt=1)  # slow: beyond 2x the usual median
    latency_min_effect: float = Field(default=0.30, gt=0, lt=1)
    latency_min_history: int = Field(default=50, ge=1)
    prior_slow_rate: float = Field(default=0.05, gt=0, lt=1)
    quality_min_sample: int = Field(default=20, ge=1)
    quality_min_effect: float = Field(default=0.10, gt=0, lt=1)
    prior_wrong_rate: float = Field(default=0.02, gt=0, lt=1)
    incidents: IncidentSettings = IncidentSettings()
    # -- young models, outages and confirmation probing (monitor/judging/status.py) --
    # How sure the prior is of itself: what LLM APIs normally do is known from many of
    # them, so a model without history is tested as if its normal were known from this
    # many probes (its own history adds on top), not from the few minutes it has.
    prior_support: float = Field(default=200.0, ge=1)
    outage_share: float = Field(default=0.5, gt=0, le=1)  # no LLM API's normal...
    outage_min_probes: int = Field(default=6, ge=3)  # ...over at least this many probes
    confirm_interval: Seconds = 10.0  # probe a suspicious model this often...
    confirm_for: Seconds = 300.0  # ...for this long (0: never probe more often)
    confirm_alpha: float = Field(default=0.05, gt=0, lt=0.5)  # how odd is suspicious
    # Above false_alarm_rate: degraded ("confirming") on weaker evidence than an incident
    # needs. Off by default: every such test is a chance of a false status on noise.
    confirming_alpha: float = Field(default=1e-6, gt=0, lt=0.1)

    @field_validator("confirm_interval")
    @classmethod
    def _confirm_interval(cls, value: float) -> float:
        if value < 5:
            raise ValueError(f"must be at least 5s, got {value:g}s")
        return value

    @model_validator(mode="after")
    def _confirming(self) -> Self:
        if self.confirming_alpha < self.false_alarm_rate:
            raise ValueError(
                f"confirming_alpha ({self.confirming_alpha:g}) must not be below "
                f"false_alarm_rate ({self.false_alarm_rate:g})"
            )
        return self

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(w < 60 for w in value):
            raise ValueError("give one or more windows, each at least 60s (whole minutes)")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.partial_outage_share >= self.major_outage_share:
            raise ValueError(
                f"partial_outage_share ({self.partial_outage_share:g}) must be below "
                f"major_outage_share ({self.major_outage_share:g})"
            )
        return self


class ProviderSettings(_Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: ProviderKind
    base_url: str
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    headers: dict[str, str] = Field(default_factory=dict)
    simulated: bool = False
    display_name: str | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

    @property
    def name(self) -> str:
        return self.display_name or self.id


class ModelSettings(_Section):
    provider: str
    model: str = Field(min_length=1)
    display_name: str | None = None
    group: str | None = None
    interval: Seconds | None = None
    enabled: bool = True
    price_input_per_mtok: float = Field(default=0.0, ge=0)
    price_output_per_mtok: float = Field(default=0.0, ge=0)

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: float | None) -> float | None:
        return None if value is None else _check_interval(value)

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def name(self) -> str:
        return self.display_name or self.model


class Settings(_Section):
    site: SiteSettings = SiteSettings()
    storage: StorageSettings = StorageSettings()
    probe: ProbeSettings = ProbeSettings()
    web: WebSettings = WebSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    status: StatusSettings = StatusSettings()
    providers: tuple[ProviderSettings, ...] = ()
    models: tuple[ModelSettings, ...] = ()
    # Where relative paths in the file (SQLite database, scenario) are resolved from.
    base_dir: str = "."

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        problems: list[str] = []
        if self.probe.total_timeout >= self.probe.interval:
            problems.append(
                f"probe.total_timeout: {self.probe.total_timeout:g}s must be shorter than "
                f"probe.interval ({self.probe.interval:g}s), or probes of one model would overlap"
            )
        provider_ids = [p.id for p in self.providers]
        for index, pid in enumerate(provider_ids):
            if pid in provider_ids[:index]:
                problems.append(f"providers[{index}].id: duplicate provider id {pid!r}")
        seen: set[str] = set()
        for index, model in enumerate(self.models):
            if model.provider not in provider_ids:
                problems.append(
                    f"models[{index}].provider: unknown provider {model.provider!r} "
                    f"(known: {', '.join(provider_ids) or 'none'})"
                )
            if model.id in seen:
                problems.append(f"models[{index}].model: duplicate model id {model.id!r}")
            seen.add(model.id)
            if model.interval is not None and self.probe.total_timeout >= model.interval:
                problems.append(
                    f"models[{index}].interval: {model.interval:g}s is not longer than "
                    f"probe.total_timeout ({self.probe.total_timeout:g}s)"
                )
        if problems:
            raise ValueError("; ".join(problems))
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


def _check_interval(value: float) -> float:
    if value < MIN_INTERVAL_S:
        raise ValueError(f"interval must be at least {MIN_INTERVAL_S:g}s, got {value:g}s")
    return value


def api_key_for(provider: ProviderSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The provider's secret from the environment variable the config names, or None."""
    if provider.api_key_env is None:
        return None
    value = (os.environ if environ is None else environ).get(provider.api_key_env, "")
    return value or None


def missing_key(provider: ProviderSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable an operator must set before this provider can be probed, if any."""
    if provider.api_key_env and api_key_for(provider, environ) is None:
        return provider.api_key_env
    return None


def load_settings(path: str | Path) -> Settings:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return settings_from_dict(raw, base_dir=path.resolve().parent, source=str(path))


def settings_from_dict(
    raw: Mapping[str, Any], base_dir: str | Path = ".", source: str = "config"
) -> Settings:
    if "base_dir" in raw:
        raise ConfigError(f"{source}: base_dir: unknown key")
    try:
        return Settings.model_validate({**raw, "base_dir": str(base_dir)})
    except ValidationError as error:
        raise ConfigError(_describe(error, source)) from None


def _describe(error: ValidationError, source: str) -> str:
    problems: list[str] = []
    for item in error.errors(include_url=False, include_input=False):
        path = _key_path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        if path:
            problems.append(f"{path}: {message}")
        else:
            # Cross-field checks already name their keys, one problem per "; ".
            problems.extend(message.split("; "))
    return "\n".join([f"{source}: {len(problems)} problem(s):", *(f"  {p}" for p in problems)])


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
