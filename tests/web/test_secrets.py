"""No API key ever leaves the process: not into the database, a page, a feed, the API,
a badge, /metrics or a log line.

Every provider gets a unique canary key in the environment. Real probe rounds run
over loopback against the simulated provider (with faults: 401s, 529s, stream
errors) and against a broken proxy that echoes the request, key and all, in its
error body and headers. Results and the real engine's output are stored, every
public route is rendered, and then every database row, every response and every
log line are searched for the canaries.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import MetaData, create_engine, select

from monitor.config import Settings, settings_from_dict
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.probing.scheduler import probe_round, probe_targets
from monitor.store import Store
from monitor.worker.roles import sync_targets
from web import create_app, public_paths
from web.api.openapi import JSON_PATHS

REGIONS = ("us-east", "eu-west")
ROUNDS = 14
KEY_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "TOGETHER_API_KEY",
    "ECHO_API_KEY",
)


class _EchoHandler(BaseHTTPRequestHandler):
    """A debugging proxy gone wrong: repeats the request, headers and all, as a 401."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        echoed = f"{self.requestline}\n{self.headers}".encode() + self.rfile.read(length)
        self.send_response(401)
        for name in (
            "x-request-id",
            "request-id",
            "x-ratelimit-remaining-requests",
            "www-authenticate",
        ):
            self.send_header(name, " ".join(self.headers.values()))
        self.send_header("content-length", str(len(echoed)))
        self.end_headers()
        self.wfile.write(echoed)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet; the test reads only aistatus's own logging


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    # Plain random words, not key-shaped: only the probe's knowledge of its own secrets
    # can redact them, never a pattern.
    values = {name: f"canary{n}{uuid.uuid4().hex}" for n, name in enumerate(KEY_VARIABLES)}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def settings_for(simulated: str, echo: str) -> Settings:
    def provider(pid: str, kind: str, base_url: str, variable: str) -> dict[str, str]:
        return {"id": pid, "kind": kind, "base_url": base_url, "api_key_env": variable}

    return settings_from_dict(
        {
            "probe": {
                "interval": "60s",
                "connect_timeout": 2,
                "first_token_timeout": 2,
                "stall_timeout": 2,
                "total_timeout": 5,
            },
            "providers": [
                provider("anthropic", "anthropic", f"{simulated}/anthropic", KEY_VARIABLES[0]),
                provider("openai", "openai", f"{simulated}/openai/v1", KEY_VARIABLES[1]),
                provider("gemini", "gemini", f"{simulated}/gemini", KEY_VARIABLES[2]),
                provider(
                    "together", "openai_compatible", f"{simulated}/together/v1", KEY_VARIABLES[3]
                ),
                provider("echo", "openai_compatible", f"{echo}/v1", KEY_VARIABLES[4]),
            ],
            "models": [
                {"provider": "anthropic", "model": "claude-test"},
                {"provider": "openai", "model": "gpt-test"},
                {"provider": "gemini", "model": "gemini-test"},
                {"provider": "together", "model": "llama-test"},
                {"provider": "echo", "model": "echo-test"},
            ],
        }
    )


FAULTS = [
    {"models": ["openai/gpt-test"], "kind": "http_error", "status": 401},
    {"models": ["anthropic/claude-test"], "from": "+2m", "kind": "http_error", "status": 529},
    {"models": ["gemini/gemini-test"], "from": "+4m", "kind": "http_error", "status": 403},
    {"models": ["together/llama-test"], "from": "+3m", "kind": "stream_error"},
]


def run_rounds(settings: Settings, store: Store, sim_clock: object) -> StatusEngine:
    """Probe every model from each region once a minute, storing what the worker would."""
    engine = StatusEngine(
        settings.status, [TargetInfo(m.id, m.provider, m.name) for m in settings.models], REGIONS
    )
    models = probe_targets(settings)
    for _ in range(ROUNDS):
        for region in REGIONS:
            results = asyncio.run(probe_round(settings, models, region=region, clock=sim_clock))  # type: ignore[arg-type]
            store.record_results(results)
            engine.ingest(results)
        sim_clock.advance(50)  # type: ignore[attr-defined]
        store.record_engine_changes(engine.evaluate(sim_clock.now()))  # type: ignore[attr-defined]
        sim_clock.advance(10)  # type: ignore[attr-defined]
    return engine


def public_paths_of(settings: Settings, store: Store) -> list[str]:
    paths = [
        "/",
        "/incidents",
        "/incidents?page=2",
        "/history.rss",
        "/history.atom",
        "/api/openapi.json",
        "/metrics",
        "/api/v1/incidents?status=open",
        "/nope",
    ]
    for model in settings.models:
        page = public_paths.model_page(model.id)
        paths += [
            page,
            f"{page}/history.rss",
            f"{page}/history.atom",
            public_paths.badge(model.id),
            public_paths.badge(model.id) + "?uptime=1",
        ]
        paths += [p.replace("{provider}/{model}", model.id) for p in JSON_PATHS]
    for provider in settings.providers:
        paths += [f"/providers/{provider.id}/history.rss", f"/providers/{provider.id}/history.atom"]
    paths += [public_paths.incident_page(i.id) for i in store.incidents(include_private=True)]
    return list(dict.fromkeys(paths))


def every_row(url: str) -> str:
    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        rows = [
            repr(tuple(row))
            for table in tables.sorted_tables
            for row in connection.execute(select(table))
        ]
    engine.dispose()
    return "\n".join(rows)


def test_no_api_key_reaches_the_database_the_site_or_the_logs(
    simulator, scenario_dict, echo_url, canaries, tmp_path, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    sim = simulator(scenario_dict(regions=list(REGIONS), faults=FAULTS))
    settings = settings_for(sim.base_url, echo_url)
    url = f"sqlite:///{tmp_path / 'aistatus.db'}"
    store = Store(url)
    store.upgrade()
    sync_targets(settings, store)
    run_rounds(settings, store, sim.clock)
    incidents = store.incidents(include_private=True)
    assert {i.public for i in incidents} == {True, False}, "the faults should open both kinds"

    client = create_app(settings, store, clock=sim.clock).test_client()
    served = []
    for path in public_paths_of(settings, store):
        response = client.get(path)
        # A health check answers 503 for a model to avoid; its body is checked all the same.
        avoid = path.endswith("/health") and response.status_code == 503
        assert response.status_code in (200, 404) or avoid, path
        served.append(response.get_data() + str(response.headers).encode())
    store.dispose()

    rows = every_row(url)
    output = capfd.readouterr()
    places = {
        "database": rows.encode(),
        "responses": b"\n".join(served),
        "logs (every logger, at DEBUG)": "\n".join(r.getMessage() for r in caplog.records).encode(),
        "stdout and stderr": (output.out + output.err).encode(),
    }
    assert "[redacted]" in rows  # the echo reached the store, scrubbed
    for name, secret in canaries.items():
        for place, text in places.items():
            assert secret.encode() not in text, f"{name} leaked into {place}"
