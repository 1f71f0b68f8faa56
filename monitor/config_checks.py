"""The checks behind monitor/config/ that look at more than one value: text fit to
show, URLs, intervals, and the cross-checks between sections.

The cross-checks run on an `Outline` of the config. It is read from valid settings,
or leniently from the raw file when other keys are bad (a value that does not parse
becomes None and its checks are skipped), so one run reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monitor.durations import parse_duration
from monitor.text import CONTROL

if TYPE_CHECKING:
    from monitor.config import Settings, WebSettings

MIN_INTERVAL_S = 10.0
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # listen on every address


def no_control(value: str) -> str:
    """In a name from the config a control character is always a slip (a pasted escape,
    a stray NUL): PostgreSQL refuses NUL in text, XML most of the rest, terminals obey them."""
    found = CONTROL.search(value)
    if found:
        raise ValueError(
            f"contains the control character U+{ord(found.group()):04X} at position "
            f"{found.start()}; names and text are shown on pages, feeds and badges"
        )
    return value


def http_url(value: str, key: str) -> str:
    try:
        parts = None if re.search(r"\s", value) else urlsplit(value)
        _ = parts and parts.port  # raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{key} must start with http:// or https:// and name a host, got {value!r}"
        )
    return value


def check_smtp_url(value: str | None) -> str | None:
    """`smtp://host[:port]` or `smtps://...`, an optional user; never a password."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("must look like smtp://host:port or smtps://host:port")
    if parts.password:
        raise ValueError(
            "must not hold a password: name an environment variable in smtp_password_env instead"
        )
    return value


# `${NAME}` in an operator channel's Apprise URL: a secret read from the environment.
URL_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def check_channel_url(value: str) -> str:
    """An Apprise URL (`scheme://...`); secrets only as `${VARIABLE}`. Whether Apprise
    can use it is checked with Apprise itself (monitor/notify/channels.py)."""
    if CONTROL.search(value) or re.search(r"\s", value):
        raise ValueError("must be one Apprise URL without spaces or control characters")
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://.", value):
        raise ValueError("must be an Apprise URL like slack://... or json://host/path")
    if "$" in URL_VARIABLE.sub("", value):
        raise ValueError("write each secret as ${VARIABLE}, a name of letters, digits and _")
    return value


def check_mail_address(value: str | None) -> str | None:
    """One plain address (`status@example.org`), or `Name <address>`."""
    if value is None:
        return None
    address = value.rsplit("<", 1)[-1].rstrip(">").strip()
    if CONTROL.search(value) or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
        raise ValueError(f"must be a mail address like status@example.org, got {value!r}")
    return value


def default_public_url(web: WebSettings) -> str:
    """The site's address when `[site] public_url` is unset: a wildcard host is reached
    on loopback from this machine (`check-config` says to set public_url then)."""
    host = "127.0.0.1" if web.host in WILDCARD_HOSTS else web.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{web.port}"


# Engines aistatus ships drivers for; `postgresql://` gets psycopg 3 (monitor/store/engine.py).
DATABASE_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg")


def supported_database(url: str) -> str:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        shown = f"{scheme!r}" if scheme else "no scheme"
        raise ValueError(
            f"unsupported database ({shown}): use sqlite:///path/to/file.db or "
            "postgresql://user@host/db"
        )
    return url


def check_interval(value: float) -> float:
    if value < MIN_INTERVAL_S:
        raise ValueError(f"interval must be at least {MIN_INTERVAL_S:g}s, got {value:g}s")
    return value


@dataclass(frozen=True, slots=True)
class Outline:
    """What the cross-checks compare."""

    interval: float | None
    total_timeout: float | None
    provider_ids: tuple[object, ...]
    models: tuple[tuple[object, object, float | None], ...]  # provider, model, interval
    web: tuple[object, object]  # host, port
    simulator: tuple[object, object, object]  # enabled, host, port
    channels: tuple[tuple[object, object, object], ...] = ()  # name, providers, models

    @classmethod
    def of(cls, settings: Settings) -> Outline:
        return cls(
            settings.probe.interval,
            settings.probe.total_timeout,
            tuple(p.id for p in settings.providers),
            tuple((m.provider, m.model, m.interval) for m in settings.models),
            (settings.web.host, settings.web.port),
            (settings.simulator.enabled, settings.simulator.host, settings.simulator.port),
            tuple((c.name, c.providers, c.models) for c in settings.notifications.channels),
        )

    @classmethod
    def lenient(cls, raw: Mapping[str, Any], defaults: Outline) -> Outline:
        """From the raw file; keys it leaves out take `defaults` (an outline of defaults)."""
        probe, web, sim = (_table(raw.get(key)) for key in ("probe", "web", "simulator"))
        return cls(
            _quietly(_interval, probe.get("interval", defaults.interval)),
            _quietly(parse_duration, probe.get("total_timeout", defaults.total_timeout)),
            tuple(p.get("id") for p in _tables(raw.get("providers"))),
            tuple(
                (
                    m.get("provider"),
                    m.get("model"),
                    _quietly(_interval, m["interval"]) if "interval" in m else None,
                )
                for m in _tables(raw.get("models"))
            ),
            (web.get("host", defaults.web[0]), web.get("port", defaults.web[1])),
            (
                sim.get("enabled", defaults.simulator[0]),
                sim.get("host", defaults.simulator[1]),
                sim.get("port", defaults.simulator[2]),
            ),
            tuple(
                (c.get("name"), c.get("providers"), c.get("models"))
                for c in _tables(_table(raw.get("notifications")).get("channels"))
            ),
        )

    def problems(self) -> list[str]:
        problems = self._timing()
        known = [p for p in self.provider_ids if isinstance(p, str)]
        for index, pid in enumerate(self.provider_ids):
            if isinstance(pid, str) and pid in self.provider_ids[:index]:
                problems.append(f"providers[{index}].id: duplicate provider id {pid!r}")
        seen: set[str] = set()
        for index, (provider, model, _) in enumerate(self.models):
            if isinstance(provider, str) and provider not in known:
                problems.append(
                    f"models[{index}].provider: unknown provider {provider!r} "
                    f"(known: {', '.join(known) or 'none'})"
                )
            model_id = f"{provider}/{model}"
            if isinstance(model, str) and model_id in seen:
                problems.append(f"models[{index}].model: duplicate model id {model_id!r}")
            seen.add(model_id)
        problems += self._channels(
            known,
            {f"{p}/{m}" for p, m, _ in self.models if isinstance(p, str) and isinstance(m, str)},
        )
        enabled, sim_host, sim_port = self.simulator
        if enabled is True and (sim_host, sim_port) == self.web:
            problems.append(
                f"simulator.port: {sim_port} is also web.port; the simulated provider and "
                "the site cannot share one port"
            )
        return problems

    def _channels(self, providers: list[str], models: set[str]) -> list[str]:
        """An operator channel's filter names known providers and models only: a typo
        would silence it for good."""
        problems: list[str] = []
        names: list[object] = []
        for index, (name, chosen_providers, chosen_models) in enumerate(self.channels):
            key = f"notifications.channels[{index}]"
            if isinstance(name, str) and name in names:
                problems.append(f"{key}.name: duplicate channel name {name!r}")
            names.append(name)
            for field, chosen, known in (
                ("providers", chosen_providers, providers),
                ("models", chosen_models, sorted(models)),
            ):
                for position, item in enumerate(chosen if isinstance(chosen, list | tuple) else ()):
                    if isinstance(item, str) and item and item not in known:
                        problems.append(
                            f"{key}.{field}[{position}]: unknown {field[:-1]} "
                            f"{item!r} (known: {', '.join(known) or 'none'})"
                        )
        return problems

    def _timing(self) -> list[str]:
        problems: list[str] = []
        total = self.total_timeout
        if total is None:
            return problems
        if self.interval is not None and total >= self.interval:
            problems.append(
                f"probe.total_timeout: {total:g}s must be shorter than "
                f"probe.interval ({self.interval:g}s), or probes of one model would overlap"
            )
        for index, (_, _, interval) in enumerate(self.models):
            if interval is not None and total >= interval:
                problems.append(
                    f"models[{index}].interval: {interval:g}s is not longer than "
                    f"probe.total_timeout ({total:g}s)"
                )
        return problems


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _tables(value: object) -> list[Mapping[str, Any]]:
    return [_table(v) for v in value] if isinstance(value, list) else []


def _quietly(parse: Callable[[Any], float], value: object) -> float | None:
    try:
        return parse(value)
    except (ValueError, TypeError):
        return None


def _interval(value: object) -> float:
    return check_interval(parse_duration(value))
