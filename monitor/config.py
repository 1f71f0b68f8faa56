"""`config.toml` → one validated, immutable `Settings` object, read once at start-up.

Every problem is reported with the key's path (`models[2].interval: ...`) so an
operator can fix the file without reading code. The only environment reads in
aistatus are here, in `api_key_for`, to resolve a secret named in the config.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.config_checks import (
    CONTROL,
    Outline,
    check_channel_url,
    check_interval,
    check_mail_address,
    check_smtp_url,
    default_public_url,
    http_url,
    no_control,
    supported_database,
)
from monitor.durations import parse_duration

# The store's column widths (monitor/store/rows/schema.py; a test keeps the two equal).
# PostgreSQL refuses longer text at the first write, SQLite would keep it: checked here
# for both, so a config that works on one works on the other.
MAX_PROVIDER_ID = 100
MAX_MODEL_ID = 255
MAX_REGION = 64
REGION_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token


class ConfigError(Exception):
    """A config file that cannot be used; the message names each bad key."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems  # one line each, naming the key; empty: the file itself


Seconds = Annotated[float, BeforeValidator(parse_duration)]


# Any text the site, the feeds or the store will show or keep.
Text = Annotated[str, AfterValidator(no_control)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderKind(StrEnum):
    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai_compatible"
    GEMINI = "gemini"


class SiteSettings(_Section):
    title: Text = "aistatus"
    description: Text = "Independent, per-model health of AI model APIs"
    # Where readers reach the site: feeds and the API link there. Unset, it follows
    # [web] host and port (Settings fills it in).
    public_url: str = "http://127.0.0.1:8080"

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return http_url(value, "public_url")


class StorageSettings(_Section):
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


class ProbeSettings(_Section):
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
    # Once the extra probes make it much odder (below confirm_alpha squared), this often.
    confirm_fast_interval: Seconds = 5.0
    # Above false_alarm_rate: degraded ("confirming") on weaker evidence than an incident
    # needs. Off by default: every such test is a chance of a false status on noise.
    confirming_alpha: float = Field(default=1e-6, gt=0, lt=0.1)

    @field_validator("confirm_interval", "confirm_fast_interval")
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
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=MAX_PROVIDER_ID)
    kind: ProviderKind
    base_url: str
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    headers: dict[str, Text] = Field(default_factory=dict)
    simulated: bool = False
    display_name: Text | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value, "base_url").rstrip("/")

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
        return value

    @property
    def name(self) -> str:
        return self.display_name or self.id


class ModelSettings(_Section):
    provider: str
    model: str = Field(min_length=1)
    display_name: Text | None = None
    group: Text | None = None
    interval: Seconds | None = None
    enabled: bool = True
    price_input_per_mtok: float = Field(default=0.0, ge=0)
    price_output_per_mtok: float = Field(default=0.0, ge=0)

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: float | None) -> float | None:
        return None if value is None else check_interval(value)

    @field_validator("model")
    @classmethod
    def _model(cls, value: str, info: ValidationInfo) -> str:
        # The id goes into request paths (Gemini), page URLs and the store's key column.
        if re.search(r"\s", value) or CONTROL.search(value):
            raise ValueError(f"{value!r} has a space or control character; model ids have none")
        model_id = f"{info.data.get('provider', '')}/{value}"
        if len(model_id) > MAX_MODEL_ID:
            raise ValueError(
                f"the model id (provider/model) is {len(model_id)} characters; "
                f"the store keeps at most {MAX_MODEL_ID}"
            )
        return value

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def name(self) -> str:
        return self.display_name or self.model


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ChannelEvent(StrEnum):
    """What an operator channel may hear (the outbox's words, monitor/store/rows/outbox.py)."""

    PUBLIC_INCIDENTS = "public_incidents"
    OPERATOR_INCIDENTS = "operator_incidents"  # our key, our network: never public
    COMPONENT_CHANGES = "component_changes"


class ChannelSettings(_Section):
    """`[[notifications.channels]]`: an operator channel, sent to through Apprise.

    `url` is an Apprise URL (slack://, discord://, msteams://, ntfy://, mailto://,
    json://, ...). Secrets in it are written `${VARIABLE}` and read from the
    environment when sending; the URL is never logged or stored."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    url: Annotated[str, AfterValidator(check_channel_url)]
    events: tuple[ChannelEvent, ...] = (
        ChannelEvent.PUBLIC_INCIDENTS,
        ChannelEvent.OPERATOR_INCIDENTS,
    )
    # Left out: every provider and model; given: only events touching one of them.
    providers: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None

    @field_validator("events", "providers", "models")
    @classmethod
    def _chosen(cls, value: tuple[str, ...] | None, info: ValidationInfo) -> Any:
        if value is not None and not value:
            hint = (
                "name at least one of " + ", ".join(ChannelEvent)
                if info.field_name == "events"
                else "leave the key out to hear of every one"
            )
            raise ValueError(f"is empty: {hint}")
        if value and not all(value):
            raise ValueError("holds an empty id")
        return value


class NotificationSettings(_Section):
    """`[notifications]`: mail and webhooks to subscribers, and operator channels
    (monitor/notify/)."""

    # smtp://host:port (STARTTLS when offered) or smtps://host:port; user in the URL,
    # the password only from the environment variable `smtp_password_env` names.
    smtp_url: Annotated[str | None, AfterValidator(check_smtp_url)] = None
    smtp_password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    from_: Annotated[str | None, AfterValidator(check_mail_address)] = Field(
        default=None, alias="from"
    )
    # Signs webhooks, derives each subscription's secret and unsubscribe links.
    key_env: str = Field(default="AISTATUS_NOTIFY_KEY", pattern=_ENV_NAME)
    allow_private_targets: bool = False  # webhooks to loopback/private addresses: labs only
    # Outbox rows (and their deliveries) are deleted this long after their event.
    keep_days: int = Field(default=30, ge=2)
    channels: tuple[ChannelSettings, ...] = ()

    @model_validator(mode="after")
    def _sender(self) -> Self:
        if self.smtp_url and not self.from_:
            raise ValueError("smtp_url needs `from`, the address mails are sent from")
        return self

    def channel(self, name: str) -> ChannelSettings | None:
        return next((c for c in self.channels if c.name == name), None)


class Settings(_Section):
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
    return settings_from_dict(read_config(path), base_dir=path.resolve().parent, source=str(path))


def read_config(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict; ConfigError, in one line, if it cannot be read as TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory; give the config file's path") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset "
            f"{error.start}); save the file as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def settings_from_dict(
    raw: Mapping[str, Any], base_dir: str | Path = ".", source: str = "config"
) -> Settings:
    if "base_dir" in raw:
        raise ConfigError(f"{source}: base_dir: unknown key")
    try:
        return Settings.model_validate({**raw, "base_dir": str(base_dir)})
    except ValidationError as error:
        problems = _problems(error)
        # A bad key stops pydantic before the cross-checks; run them on what did parse.
        defaults = Outline.of(Settings())
        problems += [p for p in Outline.lenient(raw, defaults).problems() if p not in problems]
        raise ConfigError(describe_problems(problems, source), tuple(problems)) from None


def describe_problems(problems: list[str], source: str) -> str:
    """One line per problem, each naming its key, under one line naming the file."""
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return "\n".join([f"{source}: {len(problems)} problem(s):", *(f"  {p}" for p in problems)])


def _problems(error: ValidationError) -> list[str]:
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
            # Cross-field checks already name their keys, one problem per line.
            problems.extend(message.split("\n"))
    return problems


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
