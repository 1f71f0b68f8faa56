"""What the conformance tests share: one probe against any server on loopback, and a small
server that replays recorded wire transcripts (status, headers, body) byte for byte."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from monitor.clock import SystemClock
from monitor.config import ModelSettings, ProbeSettings, ProviderKind, ProviderSettings
from monitor.probing import canary
from monitor.probing.client import make_client
from monitor.probing.probe import run_probe
from monitor.results import ProbeResult

KEY = "sk-conformance-test-key-0123456789"
SEED = 11
# Tiny but in a real config's order; stall shorter than first token, as the case.
SETTINGS = ProbeSettings(
    connect_timeout=1.0, first_token_timeout=1.2, stall_timeout=0.4, total_timeout=4.0
)


def answer(check: str = "arithmetic") -> str:
    """The right answer to the question a probe with `SEED` asks."""
    return canary.solve(canary.make_question(random.Random(SEED), check).prompt) or ""


def probe(
    base_url: str,
    kind: ProviderKind,
    model: str,
    settings: ProbeSettings = SETTINGS,
    api_key: str = KEY,
) -> ProbeResult:
    async def go() -> ProbeResult:
        async with make_client(settings) as client:
            return await run_probe(
                client,
                ProviderSettings(id="conformance", kind=kind, base_url=base_url),
                ModelSettings(provider="conformance", model=model),
                settings,
                region="local",
                api_key=api_key,
                clock=SystemClock(),
                rng=random.Random(SEED),
            )

    return asyncio.run(go())


@dataclass(frozen=True)
class Transcript:
    """One response as a server sent it, written from the server's public documentation."""

    name: str
    kind: ProviderKind  # the protocol the probe speaks to it
    status: int
    body: str  # "{answer}" stands for the canary's right answer in a streamed 200
    headers: Mapping[str, str] = field(default_factory=dict)
    model: str = "test-model"  # the model the probe asks for


class TranscriptServer:
    """Serves `/t/<name>/...`: the named transcript, whatever the method and the rest."""

    def __init__(self, transcripts: list[Transcript]) -> None:
        by_name = {t.name: t for t in transcripts}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                name = self.path.split("/")[2] if self.path.startswith("/t/") else ""
                transcript = by_name.get(name)
                if transcript is None:
                    self.send_error(404)
                    return
                body = transcript.body.replace("{answer}", answer()).encode()
                self.send_response(transcript.status)
                for header, value in transcript.headers.items():
                    self.send_header(header, value)
                self.send_header("content-length", str(len(body)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: pytest shows what matters

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> TranscriptServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def base_url(self, transcript: Transcript) -> str:
        return f"{self.url}/t/{transcript.name}"
