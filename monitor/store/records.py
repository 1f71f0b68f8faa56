"""The plain objects the store hands out, and their translation to and from rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

from monitor.config import ModelSettings, ProviderSettings, Settings
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind

_RESULT_FIELDS = tuple(f.name for f in fields(ProbeResult))


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    id: str
    display_name: str
    kind: str  # a monitor.config.ProviderKind value
    simulated: bool
    not_configured_reason: str | None  # "set ANTHROPIC_API_KEY", or None when probed

    @property
    def configured(self) -> bool:
        return self.not_configured_reason is None


@dataclass(frozen=True, slots=True)
class Target:
    id: str  # "provider/model"
    provider: str
    model: str
    display_name: str
    group: str | None
    enabled: bool
    simulated: bool
    interval_s: float
    price_input_per_mtok: float
    price_output_per_mtok: float


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """How many rows one `Store.apply_retention` deleted."""

    results: int
    minute_rollups: int
    hour_rollups: int
    day_rollups: int

    @property
    def deleted(self) -> int:
        return self.results + self.minute_rollups + self.hour_rollups + self.day_rollups


def result_to_row(result: ProbeResult) -> dict[str, Any]:
    row = {name: _plain(getattr(result, name)) for name in _RESULT_FIELDS}
    row["ratelimit"] = dict(result.ratelimit)
    return row


def row_to_result(row: Mapping[str, Any]) -> ProbeResult:
    values = {name: row[name] for name in _RESULT_FIELDS}
    values["outcome"] = Outcome(values["outcome"])
    values["failure_class"] = FailureClass(values["failure_class"])
    if values["timeout"] is not None:
        values["timeout"] = TimeoutKind(values["timeout"])
    values["ratelimit"] = dict(values["ratelimit"] or {})
    return ProbeResult(**values)


def provider_to_row(
    provider: ProviderSettings, position: int, missing_key: str | None
) -> dict[str, Any]:
    return {
        "id": provider.id,
        "position": position,
        "display_name": provider.name,
        "kind": provider.kind.value,
        "simulated": provider.simulated,
        "not_configured_reason": f"set {missing_key}" if missing_key else None,
    }


def target_to_row(settings: Settings, model: ModelSettings, position: int) -> dict[str, Any]:
    return {
        "id": model.id,
        "position": position,
        "provider_id": model.provider,
        "model": model.model,
        "display_name": model.name,
        "group": model.group,
        "enabled": model.enabled,
        "simulated": settings.provider(model.provider).simulated,
        "interval_s": settings.interval_for(model),
        "price_input_per_mtok": model.price_input_per_mtok,
        "price_output_per_mtok": model.price_output_per_mtok,
    }


def row_to_provider(row: Mapping[str, Any]) -> ProviderInfo:
    return ProviderInfo(
        id=row["id"],
        display_name=row["display_name"],
        kind=row["kind"],
        simulated=row["simulated"],
        not_configured_reason=row["not_configured_reason"],
    )


def row_to_target(row: Mapping[str, Any]) -> Target:
    return Target(
        id=row["id"],
        provider=row["provider_id"],
        model=row["model"],
        display_name=row["display_name"],
        group=row["group"],
        enabled=row["enabled"],
        simulated=row["simulated"],
        interval_s=row["interval_s"],
        price_input_per_mtok=row["price_input_per_mtok"],
        price_output_per_mtok=row["price_output_per_mtok"],
    )


def _plain(value: object) -> object:
    # Columns hold the value ("http_error"); psycopg would write a non-str Enum by name.
    return value.value if isinstance(value, Enum) else value
