"""Checks a config passes before any command uses it, beyond what the file alone says:
the database URL against the drivers aistatus has, and the demo's simulated models
against the scenario the built-in simulator will serve.

`check-config` prints the same problems `worker`, `web` and `run` refuse to start on
(monitor/cli.py runs `preflight` for every command that reads a config), and the
warnings below, which do not stop anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.config import ConfigError, ProviderKind, Settings, settings_from_dict
from monitor.config_checks import WILDCARD_HOSTS, default_public_url
from monitor.scenarios.simulator.protocols import WireProtocol
from monitor.scenarios.simulator.routes import route
from monitor.scenarios.spec import Scenario, ScenarioError, load_scenario
from monitor.store.engine import create_store_engine

# Hung probes hold a concurrency slot until their first-token timeout: past this share
# of the slots, a provider that hangs every request starves the healthy models' probes.
SLOT_WARNING_SHARE = 0.5
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_PROTOCOL_OF_KIND = {
    ProviderKind.ANTHROPIC: WireProtocol.ANTHROPIC,
    ProviderKind.OPENAI: WireProtocol.OPENAI,
    ProviderKind.OPENAI_COMPATIBLE: WireProtocol.OPENAI,
    ProviderKind.GEMINI: WireProtocol.GEMINI,
}


def preflight(settings: Settings) -> list[str]:
    """Every problem that would stop a command or leave it showing nothing, one line each."""
    return [*_storage(settings), *_simulator(settings)]


def partial_preflight(raw: Mapping[str, Any], base_dir: Path) -> list[str]:
    """`preflight` on the parts of a config that is invalid elsewhere: storage and the
    simulator, with the providers and models too if those parse."""

    def valid(sections: Mapping[str, Any]) -> Settings | None:
        try:
            return settings_from_dict(sections, base_dir=base_dir)
        except ConfigError:
            return None

    sections = {
        key: raw[key]
        for key in ("storage", "simulator", "web")
        if key in raw and valid({key: raw[key]}) is not None
    }
    listed = {key: raw[key] for key in ("providers", "models") if key in raw}
    best = valid({**sections, **listed}) or valid(sections)
    return [] if best is None else preflight(best)


def hung_probe_slots(settings: Settings) -> float:
    """Slots busy on average if every enabled model's probes hung until their timeout."""
    hold = min(settings.probe.first_token_timeout, settings.probe.total_timeout)
    return sum(hold / settings.interval_for(m) for m in settings.models if m.enabled)


def config_warnings(settings: Settings) -> list[str]:
    """What works but is likely to disappoint; one line each, naming the key."""
    warnings = []
    slots = hung_probe_slots(settings)
    concurrency = settings.probe.concurrency
    if slots >= SLOT_WARNING_SHARE * concurrency:
        warnings.append(
            f"probe.concurrency: {concurrency} slots; if every model's probes hung until "
            f"first_token_timeout ({settings.probe.first_token_timeout:g}s), they would hold "
            f"{slots:.1f} on average and healthy models' probes would wait or be skipped; "
            f"raise it to at least {2 * slots:.0f}"
        )
    speed = settings.simulator.speed
    if settings.simulator.enabled and speed != 1:
        warnings.append(
            f"simulator.speed: {speed:g}x runs the scenario's faults {speed:g} times faster, "
            "but probes keep their interval, so each fault gets that many times fewer probes "
            "(to see a whole scenario quickly, use `aistatus replay`)"
        )
    public_url = settings.site.public_url
    if settings.web.host in WILDCARD_HOSTS and public_url == default_public_url(settings.web):
        warnings.append(
            f"site.public_url: not set, so feeds and the API link to "
            f"{settings.site.public_url}; with web.host {settings.web.host!r} readers come "
            "from elsewhere: set it to the address they use"
        )
    return warnings


def _storage(settings: Settings) -> list[str]:
    url = settings.storage_url()
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folder = Path(url.removeprefix("sqlite:///")).parent
        if not folder.is_dir():
            return [f"storage.url: the folder {folder} does not exist; create it first"]
    try:
        create_store_engine(url).dispose()  # parses the URL and loads the driver; no connection
    except ImportError as error:
        return [f"storage.url: its database driver is not installed ({error.name or error})"]
    except Exception:  # its message may quote the URL, and with it a password
        return ["storage.url: not a database URL aistatus can use (like postgresql://user@host/db)"]
    return []


def _simulator(settings: Settings) -> list[str]:
    sim = settings.simulator
    if not sim.enabled:
        return []
    ports = [
        problem
        for p_index, provider in enumerate(settings.providers)
        if provider.simulated
        for problem in _elsewhere_on_loopback(settings, p_index, provider.base_url)
    ]
    try:
        scenario = load_scenario(sim.scenario, base_dir=settings.base_dir)
    except ScenarioError as error:
        if error.problems == (str(error),):
            return [f"simulator.scenario: {error}", *ports]
        return [f"simulator.scenario: {sim.scenario}: {p}" for p in error.problems] + ports
    return ports + _served_models(settings, scenario)


def _served_models(settings: Settings, scenario: Scenario) -> list[str]:
    """Each simulated model the built-in simulator serves must be one of the scenario's:
    any other gets HTTP 404, a configuration failure, shown to operators only."""
    problems = []
    ids = [m.id for m in scenario.models]
    for p_index, provider in enumerate(settings.providers):
        if not (provider.simulated and served_by_simulator(settings, provider.base_url)):
            continue
        path = urlsplit(provider.base_url).path
        endpoint = route(path + "/", {}, scenario.regions[0])
        if endpoint is None:
            problems.append(
                f"providers[{p_index}].base_url: names no simulated provider; add its name to "
                f"the path, as in http://{settings.simulator.host}:{settings.simulator.port}"
                f"/{provider.kind.value.split('_')[0]}"
            )
            continue
        if endpoint.protocol is not _PROTOCOL_OF_KIND[provider.kind]:
            problems.append(
                f"providers[{p_index}].base_url: the simulator speaks the "
                f"{endpoint.protocol.value} protocol at /{endpoint.provider}, but kind is "
                f"{provider.kind.value!r}"
            )
        for m_index, model in enumerate(settings.models):
            wanted = f"{endpoint.provider}/{model.model}"
            if model.provider == provider.id and model.enabled and wanted not in ids:
                problems.append(
                    f"models[{m_index}].model: scenario {scenario.name!r} has no model "
                    f"{wanted!r} (it has {', '.join(ids)}), so every probe would get 404"
                )
    return problems


def _elsewhere_on_loopback(settings: Settings, p_index: int, base_url: str) -> list[str]:
    """A simulated provider on this machine but another port than the simulator's: every
    probe of it is refused, and our own config mistake becomes public incidents."""
    parts = urlsplit(base_url)
    port = settings.simulator.port
    if parts.hostname not in _LOOPBACK or _port(base_url) == port:
        return []
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    fixed = parts._replace(netloc=f"{host}:{port}").geturl()
    return [
        f"providers[{p_index}].base_url: simulated, but on port {_port(base_url)} while "
        f"[simulator] port is {port}; set it to {fixed} (or the port back)"
    ]


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def served_by_simulator(settings: Settings, base_url: str) -> bool:
    """Whether the built-in simulator (`[simulator]`) is what answers at `base_url`."""
    sim = settings.simulator
    parts = urlsplit(base_url)
    if _port(base_url) != sim.port:
        return False
    local = sim.host in _LOOPBACK or sim.host in WILDCARD_HOSTS
    return parts.hostname == sim.host or (local and parts.hostname in _LOOPBACK)
