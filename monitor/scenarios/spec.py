"""Scenario files: how a set of simulated models behaves over time, per vantage point.

The format is the public contract in docs/scenarios.md. One file drives both the
simulated provider served over HTTP (`aistatus simulate`) and replay, so it is
parsed here once, into frozen dataclasses, and every problem is reported with
its key path (`faults[1].kind: unknown fault kind 'boom'`).

Defaults for keys a file leaves out: `description` "", `start`
2026-01-01T00:00:00Z, `duration` 24h, `interval` 60s, `regions` ["local"],
`seed` 0; per model `ttft_ms` 500, `latency_ms` 1000 (never below `ttft_ms`),
`jitter` 0.2, `error_rate` 0; per fault `regions` ["*"], `from` +0s, `until` the
end, `rate` 1.0, `factor` 5 (kind `slow` only).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from monitor.durations import parse_duration, parse_offset
from monitor.scenarios import values

DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_TTFT_MS = 500.0
DEFAULT_LATENCY_MS = 1000.0
DEFAULT_JITTER = 0.2
DEFAULT_FACTOR = 5.0


class ScenarioError(Exception):
    """A scenario that cannot be used; the message names each bad key."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems or (message,)


class FaultKind(StrEnum):
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    SLOW = "slow"
    STALL = "stall"
    STREAM_ERROR = "stream_error"
    RESET = "reset"
    WRONG_ANSWER = "wrong_answer"
    GARBLED = "garbled"
    EMPTY = "empty"
    DNS = "dns"
    TLS = "tls"
    # Issue 10: what gateways and broken proxies do that providers do not.
    GATEWAY_ERROR = "gateway_error"  # LiteLLM's shape: a 429 or 408 with its words
    SLOW_FIRST_TOKEN = "slow_first_token"  # headers at once, keep-alives, late first token
    ENDLESS_LINE = "endless_line"  # HTTP 200, then one line that never ends
    # The right answer in a sentence ("The answer is [MOUNTAIN]."): a drift in form only,
    # which only the exact-form canary item (strict_format) notices.
    WRONG_FORM = "wrong_form"


# The keys each kind accepts beyond the common ones; any other is a mistake worth naming.
_EXTRA_KEYS: dict[FaultKind, frozenset[str]] = {
    FaultKind.HTTP_ERROR: frozenset({"status", "error_type", "retry_after"}),
    FaultKind.SLOW: frozenset({"factor"}),
    FaultKind.STREAM_ERROR: frozenset({"error_type"}),
    FaultKind.GATEWAY_ERROR: frozenset({"status", "retry_after"}),
    FaultKind.SLOW_FIRST_TOKEN: frozenset({"factor"}),
}
_COMMON_FAULT_KEYS = frozenset({"models", "regions", "from", "until", "rate", "kind"})
_MODEL_KEYS = frozenset({"id", "ttft_ms", "latency_ms", "jitter", "error_rate"})
_TOP_KEYS = frozenset(
    {"name", "description", "start", "duration", "interval", "regions", "seed", "models", "faults"}
)


@dataclass(frozen=True, slots=True)
class ModelBehaviour:
    id: str  # "provider/model"
    provider: str
    model: str
    ttft_ms: float = DEFAULT_TTFT_MS
    latency_ms: float = DEFAULT_LATENCY_MS
    jitter: float = DEFAULT_JITTER
    error_rate: float = 0.0


@dataclass(frozen=True, slots=True)
class Fault:
    models: tuple[str, ...]  # model ids, "provider/*" or "*"
    regions: tuple[str, ...]  # region names or "*"
    from_s: float  # offset from the scenario's start
    until_s: float | None  # None: to the end
    rate: float
    kind: FaultKind
    status: int | None = None
    error_type: str | None = None
    retry_after: float | None = None
    factor: float = DEFAULT_FACTOR

    def covers_model(self, model_id: str) -> bool:
        provider = model_id.split("/", 1)[0]
        return any(p in ("*", model_id, f"{provider}/*") for p in self.models)

    def covers(self, region: str, offset_s: float) -> bool:
        if offset_s < self.from_s or (self.until_s is not None and offset_s >= self.until_s):
            return False
        return "*" in self.regions or region in self.regions


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    start: datetime
    duration_s: float
    interval_s: float
    regions: tuple[str, ...]
    seed: int
    models: tuple[ModelBehaviour, ...]
    faults: tuple[Fault, ...] = ()

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    def model(self, model_id: str) -> ModelBehaviour | None:
        return self._models_by_id.get(model_id)

    def offset_of(self, at: datetime) -> float:
        """Seconds from the scenario's start to `at`."""
        return (at - self.start).total_seconds()

    def fault_at(self, model_id: str, region: str, offset_s: float) -> Fault | None:
        """The fault in force for one model and region at an offset; later faults win."""
        for fault in self._faults_by_model.get(model_id, ()):
            if fault.covers(region, offset_s):
                return fault
        return None

    @cached_property
    def _models_by_id(self) -> dict[str, ModelBehaviour]:
        return {m.id: m for m in self.models}

    @cached_property
    def _faults_by_model(self) -> dict[str, tuple[Fault, ...]]:
        # Newest first, so the first match is the one that wins; computed once because
        # replay asks millions of times.
        newest_first = tuple(reversed(self.faults))
        return {m.id: tuple(f for f in newest_first if f.covers_model(m.id)) for m in self.models}


def load_scenario(path_or_name: str | Path, base_dir: str | Path | None = None) -> Scenario:
    """A scenario from a file path (relative to `base_dir`) or a bundled scenario's name."""
    path = Path(path_or_name)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ScenarioError(f"{path}: not UTF-8 text (offset {error.start})") from None
        except OSError as error:
            raise ScenarioError(f"{path}: cannot read: {error.strerror or error}") from None
        return _parse_text(text, str(path))
    name = str(path_or_name)
    bundled = resources.files("monitor.scenarios").joinpath(f"{name}.toml")
    if values.NAME.match(name) and bundled.is_file():
        return _parse_text(bundled.read_text(encoding="utf-8"), f"scenario {name!r}")
    raise ScenarioError(
        f"{path}: no such scenario file, and no bundled scenario named {name!r} "
        f"(bundled: {', '.join(bundled_scenarios()) or 'none'})"
    )


def bundled_scenarios() -> list[str]:
    folder = resources.files("monitor.scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _parse_text(text: str, source: str) -> Scenario:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{source}: not valid TOML: {error}") from None
    return parse_scenario(raw, source)


def parse_scenario(raw: Mapping[str, Any], source: str = "scenario") -> Scenario:
    """A scenario from TOML already read into a dict; raises ScenarioError naming every bad key."""
    reader = _Reader()
    scenario = reader.scenario(raw)
    if reader.problems or scenario is None:
        problems = tuple(reader.problems)
        lines = [f"{source}: {len(problems)} problem(s):", *(f"  {p}" for p in problems)]
        raise ScenarioError("\n".join(lines), problems)
    return scenario


@dataclass(frozen=True, slots=True)
class _Keys:
    """One table's keys, read with their full path for messages."""

    table: Mapping[str, Any]
    prefix: str
    problems: list[str]

    def get(
        self, key: str, parse: Callable[[Any], Any], default: Any = None, *, required: bool = False
    ) -> Any:
        if key not in self.table:
            if required:
                self.problems.append(f"{self.prefix}{key}: required key is missing")
            return default
        try:
            return parse(self.table[key])
        except ValueError as error:
            self.problems.append(f"{self.prefix}{key}: {error}")
            return None


class _Reader:
    """Reads a scenario key by key, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def keys(self, table: Mapping[str, Any], prefix: str) -> _Keys:
        return _Keys(table, prefix, self.problems)

    def unknown_keys(self, table: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.problems.append(f"{prefix}{key}: unknown key")

    def tables(self, raw: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
        items = raw.get(key, [])
        if not isinstance(items, list):
            self.problems.append(f"{key}: expected an array of tables ([[{key}]])")
            return []
        found = []
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                found.append((f"{key}[{index}]", item))
            else:
                self.problems.append(f"{key}[{index}]: expected a table")
        return found

    def scenario(self, raw: Mapping[str, Any]) -> Scenario | None:
        self.unknown_keys(raw, _TOP_KEYS, "")
        top = self.keys(raw, "")
        name = top.get("name", values.name, required=True)
        duration = top.get("duration", values.positive_duration, 86400.0)
        regions = top.get("regions", values.regions, ("local",))
        models = tuple(self.model(path, t) for path, t in self.tables(raw, "models"))
        if not raw.get("models"):
            self.problems.append("models: a scenario needs at least one [[models]] table")
        ids = [m.id for m in models if m is not None]
        for index, model_id in enumerate(ids):
            if model_id in ids[:index]:
                self.problems.append(f"models[{index}].id: duplicate model id {model_id!r}")
        context = _FaultContext(ids, regions or (), duration or math.inf)
        faults = tuple(self.fault(path, t, context) for path, t in self.tables(raw, "faults"))
        scenario = Scenario(
            name=name,
            description=top.get("description", values.string, ""),
            start=top.get("start", values.start, DEFAULT_START),
            duration_s=duration,
            interval_s=top.get("interval", values.positive_duration, 60.0),
            regions=regions,
            seed=top.get("seed", values.integer, 0),
            models=tuple(m for m in models if m is not None),
            faults=tuple(f for f in faults if f is not None),
        )
        return None if self.problems else scenario

    def model(self, path: str, table: Mapping[str, Any]) -> ModelBehaviour | None:
        self.unknown_keys(table, _MODEL_KEYS, f"{path}.")
        keys = self.keys(table, f"{path}.")
        model_id = keys.get("id", values.model_id, required=True)
        ttft = keys.get("ttft_ms", values.non_negative, DEFAULT_TTFT_MS)
        default_latency = max(DEFAULT_LATENCY_MS, ttft or 0.0)
        latency = keys.get("latency_ms", values.non_negative, default_latency)
        if ttft is not None and latency is not None and latency < ttft:
            self.problems.append(
                f"{path}.latency_ms: {latency:g} is below ttft_ms ({ttft:g}); "
                "the total time includes the time to first token"
            )
        jitter = keys.get("jitter", values.share, DEFAULT_JITTER)
        error_rate = keys.get("error_rate", values.share, 0.0)
        if model_id is None or None in (ttft, latency, jitter, error_rate):
            return None
        provider, model = model_id.split("/", 1)
        return ModelBehaviour(model_id, provider, model, ttft, latency, jitter, error_rate)

    def fault(self, path: str, table: Mapping[str, Any], context: _FaultContext) -> Fault | None:
        keys = self.keys(table, f"{path}.")
        kind = keys.get("kind", _kind, required=True)
        allowed = _COMMON_FAULT_KEYS | _EXTRA_KEYS.get(kind, frozenset())
        for key in table:
            if key not in allowed:
                self.problems.append(f"{path}.{key}: {_misplaced(key, kind)}")
        models = keys.get("models", context.model_patterns, required=True)
        regions = keys.get("regions", context.region_patterns, ("*",))
        from_s = keys.get("from", parse_offset, 0.0)
        until_s = keys.get("until", parse_offset)
        if from_s is not None and from_s >= context.duration_s:
            self.problems.append(f"{path}.from: +{from_s:g}s is not before the scenario's end")
        if from_s is not None and until_s is not None and until_s <= from_s:
            self.problems.append(f"{path}.until: must be later than from")
        rate = keys.get("rate", values.share, 1.0)
        status = keys.get("status", values.http_status)
        if kind is FaultKind.HTTP_ERROR and "status" not in table:
            self.problems.append(f"{path}.status: required for kind 'http_error'")
        fault = Fault(
            models=models,
            regions=regions,
            from_s=from_s,
            until_s=until_s,
            rate=rate,
            kind=kind,
            status=status,
            error_type=keys.get("error_type", values.word),
            retry_after=keys.get("retry_after", parse_duration),
            factor=keys.get("factor", values.positive, DEFAULT_FACTOR),
        )
        return None if self.problems else fault


@dataclass(frozen=True, slots=True)
class _FaultContext:
    """What a fault's references are checked against: the scenario's own models and regions."""

    model_ids: list[str]
    regions: tuple[str, ...]
    duration_s: float

    def model_patterns(self, value: Any) -> tuple[str, ...]:
        patterns = values.string_list(value)
        providers = {m.split("/", 1)[0] for m in self.model_ids}
        for pattern in patterns:
            if pattern == "*":
                continue
            if pattern.endswith("/*"):
                if pattern[:-2] not in providers:
                    raise values.Invalid(f"no model of provider {pattern[:-2]!r} in this scenario")
            elif pattern not in self.model_ids:
                raise values.Invalid(
                    f"no model {pattern!r} in this scenario (use an id, 'provider/*' or '*')"
                )
        return patterns

    def region_patterns(self, value: Any) -> tuple[str, ...]:
        patterns = values.string_list(value)
        for pattern in patterns:
            if pattern != "*" and pattern not in self.regions:
                raise values.Invalid(
                    f"no region {pattern!r} in this scenario (regions: {', '.join(self.regions)})"
                )
        return patterns


def _misplaced(key: str, kind: FaultKind | None) -> str:
    owners = [str(k) for k, keys in _EXTRA_KEYS.items() if key in keys]
    if owners and kind is not None:
        return f"only for kind {' or '.join(map(repr, owners))}, not {str(kind)!r}"
    return "unknown key"


def _kind(value: Any) -> FaultKind:
    try:
        return FaultKind(value)
    except ValueError:
        raise values.Invalid(
            f"unknown fault kind {value!r} (kinds: {', '.join(k.value for k in FaultKind)})"
        ) from None
